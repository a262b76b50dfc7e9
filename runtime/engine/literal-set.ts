import { completeTransitions, insertNeedle } from './prefilter.js';
/**
 * Many literals tested against one string. A Sigma field with a long `contains` list (emoji,
 * tool names, registry keys) would otherwise cost one `includes` per literal; an Aho-Corasick
 * DFA answers "does any literal occur" in one pass over the string, and an exact-match list
 * becomes one Set lookup. Both give exactly the answer of the per-literal loop.
 */

/** Largest DFA (states × character classes) built; bigger lists keep the per-literal loop. */
const MAX_CELLS = 1 << 21;

/** A DFA over a fixed set of literals that tells whether any occurs in a string. */
class AnyLiteralDfa {
  constructor(
    private readonly classOf: Uint8Array | Uint16Array,
    private readonly classes: number,
    private readonly delta: Uint16Array | Int32Array,
    private readonly accept: Uint8Array,
  ) {}

  test(text: string): boolean {
    const { classOf, classes, delta, accept } = this;
    const limit = classOf.length;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      s = delta[s * classes + (c < limit ? classOf[c]! : 0)]!;
      if (accept[s] === 1) return true;
    }
    return false;
  }
}

/** Builds the DFA, or undefined when it would exceed MAX_CELLS. Needles must be non-empty. */
function buildDfa(needles: readonly string[]): AnyLiteralDfa | undefined {
  let max = 0;
  const distinct = new Set<number>();
  for (const n of needles) for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    distinct.add(c);
    if (c > max) max = c;
  }
  // The class table covers only up to the largest needle character; anything above is class 0.
  const classOf = distinct.size < 255 ? new Uint8Array(max + 1) : new Uint16Array(max + 1);
  let classes = 1;
  for (const c of [...distinct].sort((a, b) => a - b)) classOf[c] = classes++;
  const children: Map<number, number>[] = [new Map()];
  const terminal: number[] = [0];
  for (const needle of needles) terminal[insertNeedle(children, classOf, needle, () => terminal.push(0))] = 1;
  const states = children.length;
  if (states * classes > MAX_CELLS) return undefined;
  const { next, fail, order } = completeTransitions(children, classes);
  const accept = Uint8Array.from(terminal);
  // A state whose longest proper suffix state accepts also accepts: some literal ends there
  // (breadth-first, so that state is settled already).
  for (let qi = 1; qi < order.length; qi++) if (accept[fail[order[qi]!]!] === 1) accept[order[qi]!] = 1;
  const delta = states < 65536 ? Uint16Array.from(next) : next;
  return new AnyLiteralDfa(classOf, classes, delta, accept);
}

/**
 * A test "does `text` contain any of `needles`". The DFA is built on first use, so lists of
 * rules that an event stream never reaches cost no memory; lists too large for a DFA (hash IOC
 * lists) and small ones keep the `includes` loop.
 */
export function anyContains(needles: readonly string[]): (text: string) => boolean {
  const list = [...new Set(needles)];
  const loop = (text: string): boolean => {
    for (let i = 0; i < list.length; i++) if (text.includes(list[i]!)) return true;
    return false;
  };
  if (list.some((n) => n.length === 0)) return () => true;
  let test: ((text: string) => boolean) | undefined;
  return (text) => {
    if (test === undefined) {
      const dfa = buildDfa(list);
      test = dfa ? (t) => dfa.test(t) : loop;
    }
    return test(text);
  };
}

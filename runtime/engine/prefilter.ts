/**
 * Adds a needle to a trie of character classes (`children[state]`: class → state) and returns
 * the state it ends in; `added` is called once per new state, so callers keep per-state arrays
 * in step.
 */
export function insertNeedle(children: Map<number, number>[], classOf: Uint8Array | Uint16Array, needle: string, added: () => void): number {
  let s = 0;
  for (let i = 0; i < needle.length; i++) {
    const k = classOf[needle.charCodeAt(i)] ?? 0;
    let next = children[s]!.get(k);
    if (next === undefined) {
      next = children.length;
      children.push(new Map());
      added();
      children[s]!.set(k, next);
    }
    s = next;
  }
  return s;
}

/**
 * Completes a trie (`children`, from insertNeedle) into Aho-Corasick's full transition function
 * over `classes` character classes: `next[state * classes + class]`, each state's failure
 * link, and the states in breadth-first order (the root first), in which a state's failure
 * target always comes before it.
 */
export function completeTransitions(children: readonly Map<number, number>[], classes: number): { next: Int32Array; fail: Int32Array; order: number[] } {
  const states = children.length;
  const next = new Int32Array(states * classes);
  const fail = new Int32Array(states);
  const order: number[] = [0];
  for (let k = 0; k < classes; k++) {
    const child = children[0]!.get(k);
    if (child !== undefined) {
      next[k] = child;
      order.push(child);
    }
  }
  for (let qi = 1; qi < order.length; qi++) {
    const s = order[qi]!;
    const f = fail[s]!;
    for (let k = 0; k < classes; k++) {
      const child = children[s]!.get(k);
      if (child !== undefined) {
        next[s * classes + k] = child;
        fail[child] = next[f * classes + k]!;
        order.push(child);
      } else next[s * classes + k] = next[f * classes + k]!;
    }
  }
  return { next, fail, order };
}

/**
 * Literal prefilter: one Aho-Corasick automaton per field, over the lowercased needles that
 * rules require in that field. Scanning an event's field once marks every rule variant whose
 * necessary literal occurs, so variants whose literals are all absent are never evaluated.
 *
 * The automaton is a dense DFA (state × character class → state) in one Int32Array: a scan
 * step is one table read, with no Map lookups and no allocation. Characters that no needle
 * uses share class 0, which keeps the table small. States are numbered breadth-first, so the
 * shallow states a scan spends nearly all its time in share a few cache lines of a table
 * that is megabytes large for the busiest fields; an entry carries a flag bit when the target
 * state completes a needle, so a step tests a bit instead of reading another table.
 */
export class FieldAutomaton {
  private readonly classOf: Uint8Array | Uint16Array;
  private readonly classes: number;
  /** state × class → next state, with `flag` set when next (or a state on its failure chain) ends a needle. */
  private readonly delta: Uint16Array | Int32Array;
  /** 2^15 when states fit in 15 bits (the table then takes two bytes an entry), else 2^30. */
  private readonly flag: number;
  /** For each state, the index into `outputs` of its own needle's targets, or -1. */
  private readonly own: Int32Array;
  /** For each state, the nearest state on its failure chain that has an own output, or -1. */
  private readonly dictLink: Int32Array;
  private readonly outputs: readonly (readonly number[])[];

  /** `needles[i]` is lowercased text; `targets[i]` the variant ids it enables. */
  constructor(needles: readonly string[], targets: readonly (readonly number[])[]) {
    const distinct = new Set<number>();
    for (const n of needles) for (let i = 0; i < n.length; i++) distinct.add(n.charCodeAt(i));
    // One byte per character class when it fits: 64 KiB instead of 128 KiB per field.
    const classOf = distinct.size < 255 ? new Uint8Array(65536) : new Uint16Array(65536);
    let classes = 1;
    for (const c of distinct) classOf[c] = classes++;
    this.classOf = classOf;
    this.classes = classes;
    // Trie with sparse children first.
    const children: Map<number, number>[] = [new Map()];
    const ownList: number[] = [-1];
    const outputs: number[][] = [];
    needles.forEach((needle, idx) => {
      const s = insertNeedle(children, classOf, needle, () => ownList.push(-1));
      if (ownList[s] === -1) {
        ownList[s] = outputs.length;
        outputs.push([]);
      }
      outputs[ownList[s]!]!.push(...targets[idx]!);
    });
    const states = children.length;
    const { next, fail, order: queue } = completeTransitions(children, classes);
    // Breadth-first, so a state's failure target has its link already.
    const dictLink = new Int32Array(states).fill(-1);
    for (let qi = 1; qi < queue.length; qi++) {
      const f = fail[queue[qi]!]!;
      dictLink[queue[qi]!] = ownList[f]! >= 0 ? f : dictLink[f]!;
    }
    // Renumber in breadth-first order (the queue) and flag the entries that reach an output.
    const id = new Int32Array(states);
    queue.forEach((s, i) => (id[s] = i));
    const flag = states < 0x8000 ? 0x8000 : 0x40000000;
    const delta = flag === 0x8000 ? new Uint16Array(states * classes) : new Int32Array(states * classes);
    const own = new Int32Array(states);
    const link = new Int32Array(states);
    queue.forEach((s, i) => {
      own[i] = ownList[s]!;
      link[i] = dictLink[s]! >= 0 ? id[dictLink[s]!]! : -1;
      for (let k = 0; k < classes; k++) {
        const t = next[s * classes + k]!;
        delta[i * classes + k] = ownList[t]! >= 0 || dictLink[t]! >= 0 ? id[t]! | flag : id[t]!;
      }
    });
    this.delta = delta;
    this.flag = flag;
    this.own = own;
    this.dictLink = link;
    this.outputs = outputs;
  }

  /** Scans a lowercased value and stamps `epoch` into `hits` for every variant a found needle enables. */
  scan(text: string, hits: Int32Array, epoch: number): void {
    const { classOf, classes, delta, flag } = this;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      s = delta[s * classes + classOf[text.charCodeAt(i)]!]!;
      if ((s & flag) !== 0) {
        s ^= flag;
        this.mark(s, hits, epoch);
      }
    }
  }

  /** Stamps the targets of every needle that ends in state `s`. */
  private mark(s: number, hits: Int32Array, epoch: number): void {
    const { own, dictLink, outputs } = this;
    let o = own[s]! >= 0 ? s : dictLink[s]!;
    while (o >= 0) {
      const list = outputs[own[o]!]!;
      for (let j = 0; j < list.length; j++) hits[list[j]!] = epoch;
      o = dictLink[o]!;
    }
  }

  /** Number of DFA states (for memory reports). */
  get states(): number {
    return this.own.length;
  }
}

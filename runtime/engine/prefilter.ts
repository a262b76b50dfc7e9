/**
 * Literal prefilter: one Aho-Corasick automaton per field, over the lowercased needles that
 * rules require in that field. Scanning an event's field once marks every rule variant whose
 * necessary literal occurs, so variants whose literals are all absent are never evaluated.
 *
 * The automaton is a dense DFA (state × character class → state) in one Int32Array: a scan
 * step is one table read, with no Map lookups and no allocation. Characters that no needle
 * uses share class 0, which keeps the table small.
 */
export class FieldAutomaton {
  private readonly classOf: Uint8Array | Uint16Array;
  private readonly classes: number;
  private readonly delta: Int32Array;
  /** For each state, the index into `outputs` of its own needle's targets, or -1. */
  private readonly own: Int32Array;
  /** For each state, the nearest state on its failure chain that has an own output, or -1. */
  private readonly dictLink: Int32Array;
  /** For each state, itself when it has an own output, else its dictLink: one read per character. */
  private readonly firstOut: Int32Array;
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
      let s = 0;
      for (let i = 0; i < needle.length; i++) {
        const k = classOf[needle.charCodeAt(i)]!;
        let next = children[s]!.get(k);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          ownList.push(-1);
          children[s]!.set(k, next);
        }
        s = next;
      }
      if (ownList[s] === -1) {
        ownList[s] = outputs.length;
        outputs.push([]);
      }
      outputs[ownList[s]!]!.push(...targets[idx]!);
    });
    const states = children.length;
    const delta = new Int32Array(states * classes);
    const fail = new Int32Array(states);
    const dictLink = new Int32Array(states).fill(-1);
    // Breadth-first construction of the full transition function.
    const queue: number[] = [];
    for (let k = 0; k < classes; k++) {
      const next = children[0]!.get(k);
      if (next !== undefined) {
        delta[k] = next;
        fail[next] = 0;
        queue.push(next);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      const f = fail[s]!;
      dictLink[s] = ownList[f]! >= 0 ? f : dictLink[f]!;
      for (let k = 0; k < classes; k++) {
        const next = children[s]!.get(k);
        if (next !== undefined) {
          delta[s * classes + k] = next;
          fail[next] = delta[f * classes + k]!;
          queue.push(next);
        } else delta[s * classes + k] = delta[f * classes + k]!;
      }
    }
    this.delta = delta;
    this.own = Int32Array.from(ownList);
    this.dictLink = dictLink;
    this.firstOut = Int32Array.from(ownList, (o, st) => (o >= 0 ? st : dictLink[st]!));
    this.outputs = outputs;
  }

  /** Scans a lowercased value and stamps `epoch` into `hits` for every variant a found needle enables. */
  scan(text: string, hits: Int32Array, epoch: number): void {
    const { classOf, classes, delta, own, dictLink, firstOut, outputs } = this;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      s = delta[s * classes + classOf[text.charCodeAt(i)]!]!;
      let o = firstOut[s]!;
      while (o >= 0) {
        const list = outputs[own[o]!]!;
        for (let j = 0; j < list.length; j++) hits[list[j]!] = epoch;
        o = dictLink[o]!;
      }
    }
  }

  /** Number of DFA states (for memory reports). */
  get states(): number {
    return this.own.length;
  }
}

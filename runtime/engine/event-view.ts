import { makeGetter, scalarString, type Getter } from './field-access.js';
import { foldCase } from './fold-case.js';

/**
 * Interns field names to slots, so matchers address fields by number and one event's field
 * values are read, stringified and lowercased at most once however many rules use them.
 */
export class FieldTable {
  private readonly slots = new Map<string, number>();
  readonly names: string[] = [];
  readonly getters: Getter[] = [];

  /** The slot of a field name, creating it on first use. */
  slotOf(field: string): number {
    let slot = this.slots.get(field);
    if (slot === undefined) {
      slot = this.names.length;
      this.slots.set(field, slot);
      this.names.push(field);
      this.getters.push(makeGetter(field));
    }
    return slot;
  }

  get size(): number {
    return this.names.length;
  }
}

/**
 * The per-event cache the matchers read through. One instance is reused for every event:
 * `reset` bumps an epoch instead of clearing arrays, so the hot path allocates nothing beyond
 * the lowercased strings of fields that rules actually look at.
 */
export class EventView {
  event: unknown = undefined;
  private epoch = 0;
  private readonly rawStamp: Int32Array;
  private readonly strStamp: Int32Array;
  private readonly raws: unknown[];
  private readonly strs: (string | undefined)[];
  private readonly lows: (string | undefined)[];
  private keywordEpoch = -1;
  private keywordStrs: string[] = [];
  private keywordLows: string[] = [];

  constructor(private readonly fields: FieldTable) {
    const n = fields.size;
    this.rawStamp = new Int32Array(n).fill(-1);
    this.strStamp = new Int32Array(n).fill(-1);
    this.raws = new Array<unknown>(n);
    this.strs = new Array<string | undefined>(n);
    this.lows = new Array<string | undefined>(n);
  }

  /** Points the view at the next event. */
  reset(event: unknown): void {
    this.event = event;
    this.epoch = (this.epoch + 1) | 0;
    // After 2^32 events the counter comes round to -1, the stamp of a slot never read: start afresh.
    if (this.epoch === -1) {
      this.rawStamp.fill(-1);
      this.strStamp.fill(-1);
      this.keywordEpoch = -1;
      this.epoch = 0;
    }
  }

  /** The raw value of a slot (undefined when the field is absent). */
  raw(slot: number): unknown {
    if (this.rawStamp[slot] !== this.epoch) {
      this.rawStamp[slot] = this.epoch;
      this.raws[slot] = this.fields.getters[slot]!(this.event);
    }
    return this.raws[slot];
  }

  private fill(slot: number): void {
    this.strStamp[slot] = this.epoch;
    const s = scalarString(this.raw(slot));
    this.strs[slot] = s;
    this.lows[slot] = s === undefined ? undefined : foldCase(s);
  }

  /** The value as a string (numbers and booleans in JSON form), undefined for absent, null and objects. */
  str(slot: number): string | undefined {
    if (this.strStamp[slot] !== this.epoch) this.fill(slot);
    return this.strs[slot];
  }

  /** The lowercased string form, computed once per event. */
  low(slot: number): string | undefined {
    if (this.strStamp[slot] !== this.epoch) this.fill(slot);
    return this.lows[slot];
  }

  /** Every scalar value anywhere in the event, as strings and lowercased (for keyword rules). */
  keywords(): { readonly strs: readonly string[]; readonly lows: readonly string[] } {
    if (this.keywordEpoch !== this.epoch) {
      this.keywordEpoch = this.epoch;
      const strs: string[] = [];
      collectScalars(this.event, strs, 0);
      this.keywordStrs = strs;
      this.keywordLows = strs.map(foldCase);
    }
    return { strs: this.keywordStrs, lows: this.keywordLows };
  }
}

function collectScalars(v: unknown, out: string[], depth: number): void {
  if (depth > 32) return;
  const s = scalarString(v);
  if (s !== undefined) {
    out.push(s);
    return;
  }
  if (Array.isArray(v)) for (const x of v) collectScalars(x, out, depth + 1);
  else if (typeof v === 'object' && v !== null) for (const k in v) collectScalars((v as Record<string, unknown>)[k], out, depth + 1);
}

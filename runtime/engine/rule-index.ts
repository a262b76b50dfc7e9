import type { KeywordScanner } from './keyword-scan.js';

/**
 * The rule index. Most Sigma rules name a logsource that maps to a few (channel, event id)
 * pairs, so bucketing variants by channel and event id cuts the rules an event meets from
 * thousands to tens. Buckets are merged lazily per (channel, event id) actually seen and
 * cached, so the per-event cost is two Map lookups; the raw channel string is the cache key,
 * which avoids lowercasing it for every event.
 */

/** What the index needs to know about one variant. */
export interface IndexedVariant {
  readonly channels?: readonly string[];
  readonly eventIds?: readonly number[];
  /** Field slots the variant's prefilter atoms read, KEYWORD_SLOT for keyword atoms (empty when not prefiltered). */
  readonly scanSlots: readonly number[];
  /** The variant can never match (its condition is the constant false), so no bucket holds it. */
  readonly never?: boolean;
}

/** The pseudo slot of keyword literals: every value of the event, scanned by one automaton. */
export const KEYWORD_SLOT = -1;

/** The variants an event in one (channel, event id) must be tested against, in rule order. */
export interface Bucket {
  readonly entries: Int32Array;
  /** Field slots to scan with the prefilter automata before testing. */
  readonly scanSlots: Int32Array;
  /** Scans every value of the event for the keyword literals of the bucket's variants, when it has any. */
  readonly keywords: KeywordScanner | undefined;
  /** Per entry: when to test it (ALWAYS, ON_HIT, ON_HIT_OR_PRESENT). */
  readonly mode: Uint8Array;
  /** Per ON_HIT_OR_PRESENT entry: the slots of its literals this bucket does not scan. */
  readonly unscanned: readonly (Int32Array | undefined)[];
}

/** The entry is not prefiltered: test it for every event. */
export const ALWAYS = 0;
/** Test the entry only when the prefilter found one of its literals. */
export const ON_HIT = 1;
/**
 * Some of the entry's literals are in fields this bucket does not scan: test it on a hit, or
 * when one of those fields is present at all (an absent field holds no literal).
 */
export const ON_HIT_OR_PRESENT = 2;

/**
 * A field is scanned for a bucket only when at least this many of the bucket's variants rely on
 * it: scanning a long field (a call trace, a script block) for one variant's needles costs more
 * than testing that variant.
 */
const MIN_VARIANTS_PER_SCAN = 3;

const ANY = '\u0000any';
const CACHE_LIMIT = 4096;

/** Builds the keyword scanner for the keyword-prefiltered variants of one bucket. */
export type KeywordScannerFactory = (variantIds: readonly number[]) => KeywordScanner;

/** Variants bucketed by (channel, event id), with merged buckets cached per pair seen. */
export class RuleIndex {
  /** channel (lowercased or ANY) → event id (or -2 for any) → variant ids. */
  private readonly table = new Map<string, Map<number, number[]>>();
  private readonly cache = new Map<string, Map<number, Bucket>>();
  private noChannelCache = new Map<number, Bucket>();

  constructor(
    private readonly variants: readonly IndexedVariant[],
    private readonly keywordScanner?: KeywordScannerFactory,
  ) {
    variants.forEach((v, id) => {
      if (v.never) return;
      const channels = v.channels && v.channels.length > 0 ? v.channels : [ANY];
      const ids = v.eventIds && v.eventIds.length > 0 ? v.eventIds : [-2];
      for (const c of channels) {
        let byId = this.table.get(c);
        if (!byId) this.table.set(c, (byId = new Map()));
        for (const e of ids) {
          const list = byId.get(e);
          if (list) list.push(id);
          else byId.set(e, [id]);
        }
      }
    });
  }

  private build(channel: string | undefined, eventId: number): Bucket {
    const ids = new Set<number>();
    const add = (c: string, e: number) => {
      for (const id of this.table.get(c)?.get(e) ?? []) ids.add(id);
    };
    for (const c of channel === undefined ? [ANY] : [channel.toLowerCase(), ANY]) {
      add(c, -2);
      if (eventId !== -1) add(c, eventId);
    }
    const entries = Int32Array.from([...ids].sort((a, b) => a - b));
    const uses = new Map<number, number>();
    for (const id of entries) for (const s of this.variants[id]!.scanSlots) uses.set(s, (uses.get(s) ?? 0) + 1);
    const slots = [...uses].filter(([s, n]) => s !== KEYWORD_SLOT && n >= MIN_VARIANTS_PER_SCAN).map(([s]) => s).sort((a, b) => a - b);
    // Keyword variants test every value of the event anyway, so one scan pays off for a single variant.
    const keywordIds = [...entries].filter((id) => this.variants[id]!.scanSlots.includes(KEYWORD_SLOT));
    const keywords = keywordIds.length > 0 && this.keywordScanner ? this.keywordScanner(keywordIds) : undefined;
    const scanned = (s: number) => (s === KEYWORD_SLOT ? keywords !== undefined : slots.includes(s));
    const mode = new Uint8Array(entries.length);
    const unscanned: (Int32Array | undefined)[] = [];
    entries.forEach((id, i) => {
      const need = this.variants[id]!.scanSlots;
      const rest = need.filter((s) => !scanned(s));
      if (need.length === 0 || rest.includes(KEYWORD_SLOT)) mode[i] = ALWAYS;
      else if (rest.length === 0) mode[i] = ON_HIT;
      else {
        mode[i] = ON_HIT_OR_PRESENT;
        unscanned[i] = Int32Array.from(rest);
      }
    });
    return { entries, scanSlots: Int32Array.from(slots), keywords, mode, unscanned };
  }

  /** The bucket for an event's channel (as written) and event id (-1 when unknown). */
  lookup(channel: string | undefined, eventId: number): Bucket {
    let byId: Map<number, Bucket> | undefined;
    if (channel === undefined) byId = this.noChannelCache;
    else {
      byId = this.cache.get(channel);
      if (!byId) {
        if (this.cache.size >= CACHE_LIMIT) return this.build(channel, eventId);
        this.cache.set(channel, (byId = new Map()));
      }
    }
    let bucket = byId.get(eventId);
    if (!bucket) {
      bucket = this.build(channel, eventId);
      if (byId.size < CACHE_LIMIT) byId.set(eventId, bucket);
    }
    return bucket;
  }
}

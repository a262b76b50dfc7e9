import type { DetectionRule, FilterRule, Rule, Variant } from './ir.js';
import { EventView, FieldTable } from './event-view.js';
import { buildMatcher, type Matcher } from './matchers.js';
import { FieldAutomaton } from './prefilter.js';
import { hasEngineLiterals, literalAtoms, type LiteralAtom } from './keyword-prefilter.js';
import { KeywordScanner } from './keyword-scan.js';
import { KEYWORD_SLOT, ON_HIT, ALWAYS, RuleIndex } from './rule-index.js';
import { eventChannel, eventId, scalarString } from './field-access.js';
import { foldCase } from './fold-case.js';

/**
 * Event → matching detection rules. Per event: find the (channel, event id) bucket, scan the
 * bucket's prefilter fields once, then test only the variants whose necessary literals were
 * found. The loop reuses one EventView and typed arrays stamped with an epoch, so it does not
 * allocate per event (beyond lowercasing the fields that are read).
 */

/** Counters for reports and the benchmark: how much work the index and prefilter saved. */
export interface RuleSetStats {
  /** Events evaluated. */
  events: number;
  /** Variants whose condition was actually tested (after index and prefilter). */
  tests: number;
  /** Variants in the events' buckets before the prefilter. */
  candidates: number;
}

/** Options for building a rule set. */
export interface RuleSetOptions {
  /** Prefilter needles shorter than this are ignored (they would hit almost every event). */
  readonly minNeedle?: number;
  /** Disable the literal prefilter (for measurements). */
  readonly prefilter?: boolean;
}

/** Longest needle the prefilter automata hold. */
const MAX_NEEDLE = 16;

interface Scope {
  readonly channels?: ReadonlySet<string>;
  readonly eventIds?: ReadonlySet<number>;
}

interface CompiledFilter {
  readonly variants: readonly { readonly scope: Scope; readonly matcher: Matcher }[];
}

function scopeOf(v: Variant): Scope {
  return {
    ...(v.channels && v.channels.length ? { channels: new Set(v.channels) } : {}),
    ...(v.eventIds && v.eventIds.length ? { eventIds: new Set(v.eventIds) } : {}),
  };
}

function inScope(scope: Scope, channelLow: string | undefined, id: number): boolean {
  if (scope.channels && (channelLow === undefined || !scope.channels.has(channelLow))) return false;
  if (scope.eventIds && !scope.eventIds.has(id)) return false;
  return true;
}

/** A loaded set of detection rules (and the filters that apply to them), ready to evaluate events. */
export class RuleSet {
  readonly stats: RuleSetStats = { events: 0, tests: 0, candidates: 0 };
  private readonly view: EventView;
  private readonly hits: Int32Array;
  private readonly ruleDone: Int32Array;
  private epoch = 0;

  constructor(
    /** The detection rules, in evaluation and output order; match callbacks receive indexes into it. */
    readonly rules: readonly DetectionRule[],
    private readonly variantRule: Int32Array,
    private readonly matchers: readonly Matcher[],
    private readonly index: RuleIndex,
    private readonly automata: readonly (FieldAutomaton | undefined)[],
    private readonly filters: readonly (readonly CompiledFilter[])[],
    fields: FieldTable,
  ) {
    this.view = new EventView(fields);
    this.hits = new Int32Array(matchers.length).fill(-1);
    this.ruleDone = new Int32Array(rules.length).fill(-1);
  }

  /** Tests one event, calling `onMatch` with the index of every detection rule it matches, in rule order. */
  evaluate(event: unknown, onMatch: (ruleIndex: number) => void): void {
    this.stats.events++;
    const view = this.view;
    view.reset(event);
    let epoch = (this.epoch + 1) | 0;
    // After 2^32 events the counter comes round to -1, the stamp of a slot never set: start afresh.
    if (epoch === -1) {
      this.hits.fill(-1);
      this.ruleDone.fill(-1);
      epoch = 0;
    }
    this.epoch = epoch;
    const channel = eventChannel(event);
    const id = eventId(event);
    const bucket = this.index.lookup(channel, id);
    const slots = bucket.scanSlots;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const automaton = this.automata[slot]!;
      const raw = view.raw(slot);
      if (Array.isArray(raw)) {
        // Every element the matchers read as a string (booleans too), lowercased as they read it.
        for (const el of raw) {
          const str = scalarString(el);
          if (str !== undefined) automaton.scan(foldCase(str), this.hits, epoch);
        }
      } else {
        const low = view.low(slot);
        if (low !== undefined) automaton.scan(low, this.hits, epoch);
      }
    }
    const keywords = bucket.keywords;
    if (keywords !== undefined) keywords.scan(event, this.hits, epoch);
    const entries = bucket.entries;
    const mode = bucket.mode;
    this.stats.candidates += entries.length;
    let channelLow: string | undefined;
    for (let i = 0; i < entries.length; i++) {
      const v = entries[i]!;
      const rule = this.variantRule[v]!;
      if (this.ruleDone[rule] === epoch) continue;
      const m = mode[i]!;
      if (m !== ALWAYS && this.hits[v] !== epoch && (m === ON_HIT || !this.anyPresent(bucket.unscanned[i]!))) continue;
      this.stats.tests++;
      if (!this.matchers[v]!(view)) continue;
      this.ruleDone[rule] = epoch;
      const filters = this.filters[rule]!;
      if (filters.length > 0) {
        channelLow ??= channel?.toLowerCase();
        if (!this.passesFilters(filters, channelLow, id)) continue;
      }
      onMatch(rule);
    }
  }

  /** Whether any of the slots has a value in the current event. */
  private anyPresent(slots: Int32Array): boolean {
    for (let i = 0; i < slots.length; i++) if (this.view.raw(slots[i]!) !== undefined) return true;
    return false;
  }

  /** pySigma semantics: a rule's match stands only when every applicable filter's condition holds too. */
  private passesFilters(filters: readonly CompiledFilter[], channelLow: string | undefined, id: number): boolean {
    for (const f of filters) {
      let applicable = false;
      let held = false;
      for (const fv of f.variants) {
        if (!inScope(fv.scope, channelLow, id)) continue;
        applicable = true;
        if (fv.matcher(this.view)) {
          held = true;
          break;
        }
      }
      if (applicable && !held) return false;
    }
    return true;
  }

  /** Average number of variant conditions tested per event. */
  get testsPerEvent(): number {
    return this.stats.events === 0 ? 0 : this.stats.tests / this.stats.events;
  }
}

function logsourceCovers(filter: FilterRule, rule: DetectionRule): boolean {
  for (const [k, v] of Object.entries(filter.logsource)) {
    if ((rule.logsource[k] ?? '').toLowerCase() !== v.toLowerCase()) return false;
  }
  return true;
}

/**
 * The literals a variant needs: the compiler's atoms, else for conditions with keywords or
 * regular expressions the engine's own derivation, which reads those too.
 */
function prefilterAtoms(variant: Variant): readonly LiteralAtom[] | undefined {
  if (variant.prefilter && variant.prefilter.length > 0) return variant.prefilter;
  return hasEngineLiterals(variant.condition) ? (literalAtoms(variant.condition) ?? undefined) : undefined;
}

/**
 * One keyword scanner per distinct set of keyword variants a bucket holds (most buckets share
 * one), over only those variants' literals: a scanner's skips are as long as its shortest literal.
 */
function keywordScanners(byNeedle: ReadonlyMap<string, readonly number[]> | undefined): (ids: readonly number[]) => KeywordScanner {
  const cache = new Map<string, KeywordScanner>();
  return (ids) => {
    const key = ids.join(',');
    let scanner = cache.get(key);
    if (!scanner) {
      const wanted = new Set(ids);
      const needles: string[] = [];
      const targets: number[][] = [];
      for (const [needle, vids] of byNeedle ?? []) {
        const mine = vids.filter((v) => wanted.has(v));
        if (mine.length === 0) continue;
        needles.push(needle);
        targets.push(mine);
      }
      scanner = new KeywordScanner(needles, targets);
      cache.set(key, scanner);
    }
    return scanner;
  };
}

/** Builds the matchers, index and prefilter automata for a list of IR rules; correlations are ignored here. */
export function compileRuleSet(all: readonly Rule[], options: RuleSetOptions = {}): RuleSet {
  const minNeedle = options.minNeedle ?? 3;
  const usePrefilter = options.prefilter ?? true;
  const rules = all.filter((r): r is DetectionRule => r.type === 'detection');
  const filterRules = all.filter((r): r is FilterRule => r.type === 'filter');
  const fields = new FieldTable();
  const variantRule: number[] = [];
  const matchers: Matcher[] = [];
  const indexed: { channels?: readonly string[]; eventIds?: readonly number[]; scanSlots: number[] }[] = [];
  const needlesBySlot = new Map<number, Map<string, number[]>>();
  rules.forEach((rule, ri) => {
    for (const variant of rule.variants) {
      const vid = matchers.length;
      matchers.push(buildMatcher(fields, variant.condition));
      variantRule.push(ri);
      const atoms = usePrefilter ? prefilterAtoms(variant) : undefined;
      const usable = atoms && atoms.length > 0 && atoms.every((a) => a.needle.length >= minNeedle);
      const scanSlots: number[] = [];
      if (usable) {
        for (const atom of atoms) {
          const slot = atom.field === undefined ? KEYWORD_SLOT : fields.slotOf(atom.field);
          // Any part of a necessary literal is necessary too; keeping the end (where paths differ)
          // keeps needles selective while capping them keeps the automata
          // small (hash IOC lists would otherwise need hundreds of thousands of states).
          const needle = atom.needle.length > MAX_NEEDLE ? atom.needle.slice(-MAX_NEEDLE) : atom.needle;
          let byNeedle = needlesBySlot.get(slot);
          if (!byNeedle) needlesBySlot.set(slot, (byNeedle = new Map()));
          const targets = byNeedle.get(needle);
          if (targets) targets.push(vid);
          else byNeedle.set(needle, [vid]);
          if (!scanSlots.includes(slot)) scanSlots.push(slot);
        }
      }
      // Rules whose logsource maps to no event, or whose selections can never hold, lower to `false`.
      const never = variant.condition.op === 'const' && !variant.condition.value;
      indexed.push({ ...(variant.channels ? { channels: variant.channels } : {}), ...(variant.eventIds ? { eventIds: variant.eventIds } : {}), scanSlots, ...(never ? { never } : {}) });
    }
  });
  const byKey = new Map<string, number[]>();
  rules.forEach((r, i) => {
    for (const key of [r.id, r.name]) {
      if (!key) continue;
      const list = byKey.get(key) ?? [];
      list.push(i);
      byKey.set(key, list);
    }
  });
  const filters: CompiledFilter[][] = rules.map(() => []);
  for (const f of filterRules) {
    const compiled: CompiledFilter = { variants: f.variants.map((v) => ({ scope: scopeOf(v), matcher: buildMatcher(fields, v.condition) })) };
    const targets = f.rules === 'any' ? rules.map((_, i) => i) : [...new Set(f.rules.flatMap((ref) => byKey.get(ref) ?? []))];
    for (const i of targets) if (logsourceCovers(f, rules[i]!)) filters[i]!.push(compiled);
  }
  const automata: (FieldAutomaton | undefined)[] = [];
  for (const [slot, byNeedle] of needlesBySlot) {
    if (slot !== KEYWORD_SLOT) automata[slot] = new FieldAutomaton([...byNeedle.keys()], [...byNeedle.values()]);
  }
  const index = new RuleIndex(indexed, keywordScanners(needlesBySlot.get(KEYWORD_SLOT)));
  return new RuleSet(rules, Int32Array.from(variantRule), matchers, index, automata, filters, fields);
}

/**
 * The detection IR: plain JSON data that travels in bundles and from which the engine builds
 * matchers. No spans, no functions, no class instances; `schema/detection-ir.schema.json`
 * describes the same shape. The compiler (compiler/sigma) writes it, the engine reads it.
 */

/** Version of the IR shape; bumped on any incompatible change so agents can refuse what they do not understand. */
export const IR_VERSION = 1;

/** Where a rule came from, kept so alerts can carry the attribution the Detection Rule License asks for. */
export interface Attribution {
  readonly author?: string;
  readonly references?: readonly string[];
  readonly license?: string;
  /** Repository-relative path of the rule file. */
  readonly source?: string;
}

/** A string comparison; `v` is already lowercased unless `cased`. */
export interface StrTest {
  readonly t: 'str';
  readonly m: 'eq' | 'contains' | 'startswith' | 'endswith';
  readonly v: string;
  readonly cased?: true;
}

/** A wildcard pattern: `*` any run, `?` one character, `\` escapes (Sigma string syntax); lowercased unless `cased`. */
export interface GlobTest {
  readonly t: 'glob';
  readonly v: string;
  readonly cased?: true;
}

/** A regular expression run by a linear-time engine (re2js); flags are a subset of `ims`. */
export interface RegexTest {
  readonly t: 're';
  readonly v: string;
  readonly flags: string;
}

/** An IPv4 or IPv6 network in CIDR notation. */
export interface CidrTest {
  readonly t: 'cidr';
  readonly v: string;
}

/** A numeric comparison of the field value against `v`. */
export interface NumTest {
  readonly t: 'num';
  /** `eq` compares numerically, so `"9456"` and `9456` are equal. */
  readonly op: 'eq' | 'gt' | 'gte' | 'lt' | 'lte';
  readonly v: number;
}

/** Matches a missing field or a JSON null. */
export interface NullTest {
  readonly t: 'null';
}

/** Compares the field with another field of the same event. */
export interface FieldRefTest {
  readonly t: 'fieldref';
  readonly f: string;
  readonly m: 'eq' | 'contains' | 'startswith' | 'endswith';
  readonly cased?: true;
}

/** Extracts a part of a date value (UTC) and compares it with `v`. */
export interface DatePartTest {
  readonly t: 'date';
  readonly part: 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
  readonly op: 'eq' | 'gt' | 'gte' | 'lt' | 'lte';
  readonly v: number;
}

/** Never matches: what an `|expand` placeholder without values lowers to. */
export interface NeverTest {
  readonly t: 'never';
}

/** One value test applied to a field value. */
export type Test = StrTest | GlobTest | RegexTest | CidrTest | NumTest | NullTest | FieldRefTest | DatePartTest | NeverTest;

/** A boolean expression over one event. */
export type Expr =
  | { readonly op: 'and'; readonly args: readonly Expr[] }
  | { readonly op: 'or'; readonly args: readonly Expr[] }
  | { readonly op: 'not'; readonly arg: Expr }
  | { readonly op: 'const'; readonly value: boolean }
  /** The field (dotted path) matches any of the tests, or all of them when `all`. */
  | { readonly op: 'field'; readonly field: string; readonly tests: readonly Test[]; readonly all?: true }
  /** Some string value anywhere in the event matches any (or all) of the tests. */
  | { readonly op: 'keyword'; readonly tests: readonly Test[]; readonly all?: true }
  /** The field is present (even if null or empty) when `value` is true, absent when false. */
  | { readonly op: 'exists'; readonly field: string; readonly value: boolean };

/** A literal an event must contain (lowercased) in `field` for the variant to be able to match. */
export interface PrefilterAtom {
  readonly field: string;
  readonly needle: string;
}

/** One way a rule applies to events: a log channel/event-id scope with the condition mapped to its fields. */
export interface Variant {
  /** Lowercased channel names; absent means any channel. */
  readonly channels?: readonly string[];
  /** Event ids; absent means any event id. */
  readonly eventIds?: readonly number[];
  readonly condition: Expr;
  /** The variant can only match when at least one atom is found; absent when no literal is necessary. */
  readonly prefilter?: readonly PrefilterAtom[];
}

/** A compiled Sigma detection rule. */
export interface DetectionRule {
  readonly type: 'detection';
  readonly id: string;
  readonly name?: string;
  readonly title: string;
  readonly level?: string;
  readonly status?: string;
  readonly tags?: readonly string[];
  readonly logsource: Readonly<Record<string, string>>;
  readonly attribution: Attribution;
  /** The rule matches an event when any variant in scope matches it. */
  readonly variants: readonly Variant[];
}

/** The thresholds of a correlation condition, combined with AND. */
export interface CorrelationCondition {
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
  readonly eq?: number;
  readonly neq?: number;
  /** The field counted (value_count) or aggregated (value_sum, value_avg, value_percentile). */
  readonly field?: string;
  /** Which percentile value_percentile computes (0-100; 50 when absent). */
  readonly percentile?: number;
}

/** A temporal condition over referenced rules (Sigma 2.1 `condition: a and b`), as an expression tree. */
export type RuleExpr =
  | { readonly op: 'and' | 'or'; readonly args: readonly RuleExpr[] }
  | { readonly op: 'not'; readonly arg: RuleExpr }
  | { readonly op: 'rule'; readonly ref: string };

/** A compiled Sigma correlation rule. */
export interface CorrelationRule {
  readonly type: 'correlation';
  readonly id: string;
  readonly name?: string;
  readonly title: string;
  readonly level?: string;
  readonly status?: string;
  readonly tags?: readonly string[];
  readonly attribution: Attribution;
  readonly correlation: 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered' | 'value_sum' | 'value_avg' | 'value_percentile';
  /** Referenced rules, by id or name as written. */
  readonly rules: readonly string[];
  readonly groupBy: readonly string[];
  readonly timespanMs: number;
  readonly condition?: CorrelationCondition;
  readonly ruleCondition?: RuleExpr;
  /** alias → (rule id or name → event field). */
  readonly aliases?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Whether the referenced rules also report their own matches. */
  readonly generate: boolean;
}

/** A compiled Sigma filter: events matching `condition` keep alerting, others are dropped, for the named rules. */
export interface FilterRule {
  readonly type: 'filter';
  readonly id: string;
  readonly name?: string;
  readonly title: string;
  readonly attribution: Attribution;
  /** Rule ids or names the filter applies to; `any` applies it to every rule of a matching logsource. */
  readonly rules: readonly string[] | 'any';
  readonly logsource: Readonly<Record<string, string>>;
  readonly variants: readonly Variant[];
}

/** Any compiled Sigma document. */
export type Rule = DetectionRule | CorrelationRule | FilterRule;

/**
 * The one table of Sigma value modifiers (modifiers appendix, Sigma 2.1.0). Each entry says
 * what the modifier accepts and yields, and its class; `parseChain` walks a field's chain
 * (`Field|mod|mod`) once, checking every pair statically (pySigma's type-checked modifier
 * chain) and producing a ModifierChain that detection lowering applies to each value.
 */

/** The class of a modifier decides how it combines with others. */
export type ModifierClass = 'mode' | 'list' | 'case' | 'encode' | 'expand' | 'regex' | 'regex-flag' | 'cidr' | 'compare' | 'neq' | 'exists' | 'fieldref' | 'date';

/** A modifier's table entry. */
export interface ModifierSpec {
  readonly cls: ModifierClass;
  /** What the values must be: strings, numbers, booleans, or any scalar. */
  readonly accepts: 'string' | 'number' | 'boolean' | 'scalar';
  /** What the modifier hands on: a string pattern, raw bytes, a regex, a network, a number. */
  readonly yields: 'pattern' | 'bytes' | 'regex' | 'network' | 'number' | 'boolean' | 'field';
}

/** Every modifier the specification defines. */
export const MODIFIERS: Readonly<Record<string, ModifierSpec>> = {
  contains: { cls: 'mode', accepts: 'scalar', yields: 'pattern' },
  startswith: { cls: 'mode', accepts: 'scalar', yields: 'pattern' },
  endswith: { cls: 'mode', accepts: 'scalar', yields: 'pattern' },
  all: { cls: 'list', accepts: 'scalar', yields: 'pattern' },
  cased: { cls: 'case', accepts: 'string', yields: 'pattern' },
  base64: { cls: 'encode', accepts: 'string', yields: 'pattern' },
  base64offset: { cls: 'encode', accepts: 'string', yields: 'pattern' },
  utf16le: { cls: 'encode', accepts: 'string', yields: 'bytes' },
  utf16be: { cls: 'encode', accepts: 'string', yields: 'bytes' },
  utf16: { cls: 'encode', accepts: 'string', yields: 'bytes' },
  wide: { cls: 'encode', accepts: 'string', yields: 'bytes' },
  windash: { cls: 'encode', accepts: 'string', yields: 'pattern' },
  expand: { cls: 'expand', accepts: 'string', yields: 'pattern' },
  re: { cls: 'regex', accepts: 'string', yields: 'regex' },
  i: { cls: 'regex-flag', accepts: 'string', yields: 'regex' },
  m: { cls: 'regex-flag', accepts: 'string', yields: 'regex' },
  s: { cls: 'regex-flag', accepts: 'string', yields: 'regex' },
  cidr: { cls: 'cidr', accepts: 'string', yields: 'network' },
  gt: { cls: 'compare', accepts: 'number', yields: 'number' },
  gte: { cls: 'compare', accepts: 'number', yields: 'number' },
  lt: { cls: 'compare', accepts: 'number', yields: 'number' },
  lte: { cls: 'compare', accepts: 'number', yields: 'number' },
  neq: { cls: 'neq', accepts: 'scalar', yields: 'pattern' },
  exists: { cls: 'exists', accepts: 'boolean', yields: 'boolean' },
  fieldref: { cls: 'fieldref', accepts: 'string', yields: 'field' },
  minute: { cls: 'date', accepts: 'number', yields: 'number' },
  hour: { cls: 'date', accepts: 'number', yields: 'number' },
  day: { cls: 'date', accepts: 'number', yields: 'number' },
  week: { cls: 'date', accepts: 'number', yields: 'number' },
  month: { cls: 'date', accepts: 'number', yields: 'number' },
  year: { cls: 'date', accepts: 'number', yields: 'number' },
};

/** Which modifier classes may appear together in one chain (symmetric). */
const COMPATIBLE: Readonly<Record<ModifierClass, readonly ModifierClass[]>> = {
  mode: ['list', 'case', 'encode', 'expand', 'neq', 'fieldref'],
  list: ['mode', 'case', 'encode', 'expand', 'regex', 'regex-flag', 'cidr', 'neq', 'fieldref'],
  case: ['mode', 'list', 'encode', 'expand', 'neq', 'fieldref'],
  encode: ['mode', 'list', 'case', 'encode', 'expand', 'neq'],
  expand: ['mode', 'list', 'case', 'encode', 'neq'],
  regex: ['list', 'regex-flag', 'neq'],
  'regex-flag': ['list', 'regex', 'regex-flag', 'neq'],
  cidr: ['list', 'neq'],
  compare: ['date'],
  neq: ['mode', 'list', 'case', 'encode', 'expand', 'regex', 'regex-flag', 'cidr', 'fieldref', 'date'],
  exists: [],
  fieldref: ['mode', 'list', 'case', 'neq'],
  date: ['compare', 'neq'],
};

/** The modifier chain of one field, checked and summarised. */
export interface ModifierChain {
  readonly mode?: 'contains' | 'startswith' | 'endswith';
  readonly all: boolean;
  readonly cased: boolean;
  /** Encoding and expansion steps, in the order written. */
  readonly transforms: readonly string[];
  /** Regex flags when `re` is present. */
  readonly regex?: string;
  readonly cidr: boolean;
  readonly compare?: 'gt' | 'gte' | 'lt' | 'lte';
  readonly neq: boolean;
  readonly exists: boolean;
  readonly fieldref: boolean;
  readonly datePart?: 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
  /** What the values must be. */
  readonly accepts: 'string' | 'number' | 'boolean' | 'scalar';
}

/** A problem in a chain, at the index of the offending modifier. */
export type ChainProblem =
  | { readonly kind: 'unknown'; readonly index: number; readonly modifier: string }
  | { readonly kind: 'conflict'; readonly index: number; readonly modifier: string; readonly other: string };

/** Chains already parsed, by their modifiers: a corpus repeats a few dozen chains thousands of times. */
const parsedChains = new Map<string, { readonly chain?: ModifierChain; readonly problems: readonly ChainProblem[] }>();

/** Checks a chain statically and summarises it; reports every problem it finds (results are shared: read-only). */
export function parseChain(mods: readonly string[]): { readonly chain?: ModifierChain; readonly problems: readonly ChainProblem[] } {
  const key = mods.join('|');
  let parsed = parsedChains.get(key);
  if (!parsed) {
    parsed = Object.freeze(parseChainOnce(mods));
    if (parsedChains.size < 4096) parsedChains.set(key, parsed);
  }
  return parsed;
}

function parseChainOnce(mods: readonly string[]): { chain?: ModifierChain; problems: ChainProblem[] } {
  const problems: ChainProblem[] = [];
  const seen: { name: string; spec: ModifierSpec }[] = [];
  for (let i = 0; i < mods.length; i++) {
    const name = mods[i]!;
    const spec = Object.prototype.hasOwnProperty.call(MODIFIERS, name) ? MODIFIERS[name] : undefined;
    if (!spec) {
      problems.push({ kind: 'unknown', index: i, modifier: name });
      continue;
    }
    for (const prev of seen) {
      const sameClassOk = spec.cls === prev.spec.cls && (spec.cls === 'encode' || spec.cls === 'regex-flag');
      const clash = prev.name === name || (spec.cls === prev.spec.cls ? !sameClassOk : !COMPATIBLE[spec.cls].includes(prev.spec.cls));
      if (clash) {
        problems.push({ kind: 'conflict', index: i, modifier: name, other: prev.name });
        break;
      }
    }
    if (spec.cls === 'regex-flag' && !seen.some((s) => s.spec.cls === 'regex')) {
      problems.push({ kind: 'conflict', index: i, modifier: name, other: 'a missing `re`' });
    }
    seen.push({ name, spec });
  }
  if (problems.length > 0) return { problems };
  const has = (n: string) => mods.includes(n);
  const first = <T extends string>(names: readonly T[]): T | undefined => names.find((n) => has(n));
  let accepts: ModifierChain['accepts'] = 'scalar';
  for (const s of seen) if (s.spec.accepts !== 'scalar') accepts = s.spec.accepts;
  const regexFlags = ['i', 'm', 's'].filter(has).join('');
  const chain: ModifierChain = {
    ...(first(['contains', 'startswith', 'endswith'] as const) ? { mode: first(['contains', 'startswith', 'endswith'] as const)! } : {}),
    all: has('all'),
    cased: has('cased'),
    transforms: mods.filter((m) => MODIFIERS[m]!.cls === 'encode' || MODIFIERS[m]!.cls === 'expand'),
    ...(has('re') ? { regex: regexFlags } : {}),
    cidr: has('cidr'),
    ...(first(['gt', 'gte', 'lt', 'lte'] as const) ? { compare: first(['gt', 'gte', 'lt', 'lte'] as const)! } : {}),
    neq: has('neq'),
    exists: has('exists'),
    fieldref: has('fieldref'),
    ...(first(['minute', 'hour', 'day', 'week', 'month', 'year'] as const) ? { datePart: first(['minute', 'hour', 'day', 'week', 'month', 'year'] as const)! } : {}),
    accepts: has('fieldref') || has('re') || has('cidr') ? 'string' : accepts,
  };
  return { chain, problems };
}

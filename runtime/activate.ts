/**
 * Turning a verified bundle into the running configuration, and keeping it across restarts.
 *
 *   STATE/metadata/            trusted TUF metadata (see pull.ts)
 *   STATE/bundles/<sha256>.json  verified bundle bytes, content-addressed
 *   STATE/packs/<sha256>.json    the rule packs those bundles name (pack-store.ts)
 *   STATE/active.json          the pointer: current and last-known-good bundle, and digests never to retry
 *
 * Activation writes the bundle file, then swaps the pointer, each by temp file, fsync and rename:
 * a crash at any instant leaves the old pointer or the new one, and either names a complete file.
 * Nothing here throws: every failure is a value and the caller keeps what it was running.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { VALIDATORS } from '../schema/generated/ir-validator.js';
import { parseJsonBytes, sha256Hex } from './bundle/canonical.js';
import { bundleDocumentProblems, unsupportedReason, type BundleDocument } from './bundle/envelope.js';
import { openSecret } from './bundle/seal.js';
import ipaddr from 'ipaddr.js';
import { AGENT_CAPABILITIES } from './engine/capabilities.js';
import { createPolicyEngine, type PolicyEngine, type PolicySet } from './engine/policy-engine.js';
import type { CollectorBaseline } from './engine/anomaly.js';
import type { StateStore } from './engine/policy-state.js';
import type { Engine } from './engine/engine.js';
import { compileRegex } from './engine/regex.js';
import type { Rule } from './engine/ir.js';
import { resolveRulePacks, type PackLookup } from './bundle/rule-packs.js';
import { PackStore } from './pack-store.js';
import { writeFileAtomic } from './write-atomic.js';

/** One bundle as recorded in the pointer. */
export interface BundleRecord {
  readonly sha256: string;
  /** Version of the signed targets metadata that listed it. */
  readonly version: number;
  readonly activatedAt: string;
}

/** The activation pointer (STATE/active.json). */
export interface Pointer {
  readonly current?: BundleRecord;
  /** The last-known-good: what runs again if the current bundle turns out bad. */
  readonly previous?: BundleRecord;
  /** Digests refused after activation (unhealthy); never activated again. */
  readonly bad: readonly string[];
}

/** A self-test vector: events that a rule must (or must not) match, carried in the bundle. */
export interface SelfTestVector {
  readonly name?: string;
  readonly rule: string;
  readonly events: readonly unknown[];
  /** true: at least one match; false: none; a number: exactly that many matches. */
  readonly match: boolean | number;
}

/** The self-test verdict. */
export interface SelfTestResult {
  readonly passed: boolean;
  readonly total: number;
  readonly failures: readonly string[];
}

/** A bundle ready to run: its engine, self-test verdict and opened credentials (kept in memory only). */
export interface Prepared {
  readonly sha256: string;
  readonly version: number;
  readonly document: BundleDocument;
  /** Sigma rules plus threat scores, chains and anomalies. */
  readonly engine: PolicyEngine;
  readonly ruleCount: number;
  readonly selfTest: SelfTestResult;
  readonly credentials: ReadonlyMap<string, Uint8Array>;
}

/** Why a bundle was not activated, with a stable code (VA2xxx: agent-side refusals). */
export interface ActivationFailure {
  readonly code: 'VA2001' | 'VA2002' | 'VA2003' | 'VA2004' | 'VA2005';
  readonly message: string;
}

/** The agent-side refusal codes. */
export const ACTIVATION_CODES = {
  VA2001: 'the bundle does not match the agent\'s bundle schema or IR version',
  VA2002: 'the engine could not load the bundle\'s rules',
  VA2003: 'the bundle\'s self-test failed',
  VA2004: 'a sealed credential could not be opened with the agent key',
  VA2005: 'the state directory could not be written (disk full, permissions)',
} as const;

const failure = (code: ActivationFailure['code'], detail: string): ActivationFailure => ({ code, message: `${ACTIVATION_CODES[code]}: ${detail}` });

/**
 * The detection IR schema's validator, precompiled by `npm run gen` (schema/gen-validators.ts,
 * first error only): the agent's own copy, never anything from the bundle, and no schema
 * compilation at activation.
 */
const validateIr = VALIDATORS['https://vigil.dev/schema/v1/detection-ir.schema.json'] as ValidateFunction;

/** The rules of a bundle's content: `content.detection` (the IR document) or `content.rules`. */
function rulesOf(content: Readonly<Record<string, unknown>>): unknown {
  const detection = content.detection as { rules?: unknown } | undefined;
  if (detection !== undefined) return detection;
  return { version: 1, rules: content.rules ?? [] };
}

/** Every test value in an expression tree. */
function* testsOf(expr: unknown): Generator<Record<string, unknown>> {
  const e = expr as { op?: string; args?: unknown[]; arg?: unknown; tests?: unknown[] } | null;
  if (!e || typeof e !== 'object') return;
  if (Array.isArray(e.tests)) for (const t of e.tests) yield t as Record<string, unknown>;
  if (Array.isArray(e.args)) for (const a of e.args) yield* testsOf(a);
  if (e.arg !== undefined) yield* testsOf(e.arg);
}

/**
 * Patterns the engine would quietly turn into never-matching tests (a regex RE2 cannot run, a
 * malformed network): a compiler never emits them, so in a bundle they mean damage, and the agent
 * refuses rather than run a rule that can no longer fire.
 */
function engineProblems(rules: readonly Rule[]): string | undefined {
  for (const rule of rules) {
    const variants = (rule as { variants?: readonly { condition: unknown }[] }).variants ?? [];
    for (const v of variants) {
      for (const t of testsOf(v.condition)) {
        if (t.t === 're') {
          const r = compileRegex(String(t.v), String(t.flags ?? ''));
          if (!r.ok) return `rule \`${rule.id}\`: regular expression refused (${r.reason})`;
        } else if (t.t === 'cidr') {
          try {
            ipaddr.parseCIDR(String(t.v));
          } catch {
            return `rule \`${rule.id}\`: \`${String(t.v)}\` is not a network`;
          }
        }
      }
    }
  }
  return undefined;
}

/** Reads the self-test vectors (`content.selfTests`), each checked for shape. */
function vectorsOf(content: Readonly<Record<string, unknown>>): SelfTestVector[] | string {
  const raw = content.selfTests ?? content.selfTest ?? [];
  if (!Array.isArray(raw)) return '`selfTests` must be an array';
  const out: SelfTestVector[] = [];
  for (const [i, v] of raw.entries()) {
    const x = v as Record<string, unknown>;
    const events = Array.isArray(x?.events) ? x.events : x?.event !== undefined ? [x.event] : undefined;
    const match = x?.match ?? true;
    if (typeof x?.rule !== 'string' || !events || (typeof match !== 'boolean' && !Number.isInteger(match))) return `self-test vector ${i} is malformed`;
    out.push({ rule: x.rule, events, match: match as boolean | number, ...(typeof x.name === 'string' ? { name: x.name } : {}) });
  }
  return out;
}

/** Replays the vectors through the rule set (stateless detection, so the live correlation state is untouched). */
export function selfTest(engine: Engine, vectors: readonly SelfTestVector[]): SelfTestResult {
  const failures: string[] = [];
  const rules = engine.ruleSet.rules;
  for (const [i, v] of vectors.entries()) {
    const label = v.name ?? `vector ${i}`;
    const target = rules.findIndex((r) => r.id === v.rule || r.name === v.rule);
    if (target < 0) {
      failures.push(`${label}: rule \`${v.rule}\` is not in the bundle`);
      continue;
    }
    let count = 0;
    try {
      for (const event of v.events) engine.ruleSet.evaluate(event, (ri) => (count += ri === target ? 1 : 0));
    } catch (error) {
      failures.push(`${label}: the engine failed: ${(error as Error).message}`);
      continue;
    }
    const ok = typeof v.match === 'number' ? count === v.match : v.match ? count > 0 : count === 0;
    if (!ok) failures.push(`${label}: rule \`${v.rule}\` matched ${count} time(s), expected ${typeof v.match === 'number' ? v.match : v.match ? 'a match' : 'none'}`);
  }
  return { passed: failures.length === 0, total: vectors.length, failures };
}

/** Every string in a credential spec with its dotted path. */
function* stringsIn(value: unknown, at: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [at, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* stringsIn(v, `${at}.${i}`);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* stringsIn(v, `${at}.${k}`);
}

/**
 * Opens every age-sealed string in `content.credentials` (credential name → spec) with the agent
 * identity, keyed `name.path.to.field`; `env:`/`file:` references are resolved where they are used.
 */
async function openCredentials(content: Readonly<Record<string, unknown>>, identity: string | undefined): Promise<Map<string, Uint8Array> | ActivationFailure> {
  const raw = content.credentials;
  const out = new Map<string, Uint8Array>();
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return failure('VA2001', '`credentials` must be an object');
  for (const [name, spec] of Object.entries(raw as Record<string, unknown>)) {
    for (const [at, value] of stringsIn(spec, name)) {
      if (!value.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')) continue;
      if (!identity) return failure('VA2004', `credential \`${name}\` is sealed and the agent has no key (--key)`);
      try {
        out.set(at, await openSecret(value, identity));
      } catch {
        return failure('VA2004', `credential \`${name}\``);
      }
    }
  }
  return out;
}

/** The policies of a bundle (`content.policies`), each list defaulting to empty. */
function policiesOf(content: Readonly<Record<string, unknown>>): PolicySet | string {
  const p = (content.policies ?? {}) as Partial<Record<keyof PolicySet, unknown>>;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return '`policies` must be an object';
  const list = (k: keyof PolicySet) => (p[k] === undefined ? [] : p[k]);
  for (const k of ['filters', 'threatScores', 'chains', 'anomalies'] as const) if (!Array.isArray(list(k))) return `\`policies.${k}\` must be an array`;
  return { filters: list('filters'), threatScores: list('threatScores'), chains: list('chains'), anomalies: list('anomalies') } as PolicySet;
}

/** Re-validates, loads and self-tests a verified bundle, its rule packs found through `packs`; never throws. `store` keeps policy state. */
export async function prepareBundle(bytes: Uint8Array, version: number, identity?: string, store?: StateStore, collector?: CollectorBaseline, packs: PackLookup = () => undefined): Promise<Prepared | ActivationFailure> {
  try {
    return await prepare(bytes, version, identity, store, collector, packs);
  } catch (error) {
    // A signed document the checks themselves cannot walk (nested thousands of levels deep makes
    // the schema validator overflow its stack) is refused like any other bad bundle, so the agent
    // marks it bad instead of fetching and testing it again on every poll.
    return failure('VA2001', `the bundle cannot be checked (${error instanceof Error ? error.name : 'error'})`);
  }
}

async function prepare(bytes: Uint8Array, version: number, identity: string | undefined, store: StateStore | undefined, collector: CollectorBaseline | undefined, packs: PackLookup): Promise<Prepared | ActivationFailure> {
  let doc: unknown;
  try {
    doc = parseJsonBytes(bytes);
  } catch {
    return failure('VA2001', 'not JSON');
  }
  const problems = bundleDocumentProblems(doc);
  if (problems.length > 0) return failure('VA2001', problems.join('; '));
  const unsupported = unsupportedReason(doc as BundleDocument, AGENT_CAPABILITIES);
  if (unsupported) return failure('VA2001', unsupported);
  // From here on the document is self-contained: its rule packs' rules are back in `content.rules`.
  const document = resolveRulePacks(doc as BundleDocument, packs);
  if (typeof document === 'string') return failure('VA2001', document);
  const loaded = loadContent(document, { ...(store ? { store } : {}), ...(collector ? { collector } : {}) });
  if ('code' in loaded) return loaded;
  const { engine, ruleCount, verdict } = loaded;
  const credentials = await openCredentials(document.content, identity);
  if (!(credentials instanceof Map)) return credentials;
  return { sha256: sha256Hex(bytes), version, document, engine, ruleCount, selfTest: verdict, credentials };
}

/**
 * Re-validates a self-contained bundle document's content against the agent's own IR schema,
 * builds its engine and replays its self-test: everything an agent checks but opening sealed
 * credentials (which needs the agent's key). `vigil verify` runs it too; may throw on a document
 * too deep to walk (callers catch that).
 */
export function loadContent(document: BundleDocument, state: { readonly store?: StateStore; readonly collector?: CollectorBaseline } = {}): { readonly engine: PolicyEngine; readonly ruleCount: number; readonly verdict: SelfTestResult } | ActivationFailure {
  const ir = rulesOf(document.content);
  if (!validateIr(ir)) {
    const e = validateIr.errors?.[0];
    return failure('VA2001', `detection IR ${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}`);
  }
  const vectors = vectorsOf(document.content);
  if (typeof vectors === 'string') return failure('VA2001', vectors);
  const policies = policiesOf(document.content);
  if (typeof policies === 'string') return failure('VA2001', policies);
  let engine: PolicyEngine;
  const rules = (ir as { rules: Rule[] }).rules;
  const broken = engineProblems([...rules, ...policies.filters]);
  if (broken) return failure('VA2002', broken);
  try {
    engine = createPolicyEngine(rules, policies, state);
  } catch (error) {
    return failure('VA2002', (error as Error).message);
  }
  const verdict = selfTest(engine.engine, vectors);
  if (!verdict.passed) return failure('VA2003', verdict.failures.slice(0, 3).join('; '));
  return { engine, ruleCount: rules.length, verdict };
}

/** The agent's state directory. */
export class StateDir {
  readonly metadataDir: string;
  /** Rule packs of the stored bundles. */
  readonly packs: PackStore;
  private readonly bundlesDir: string;
  private readonly pointerFile: string;

  constructor(readonly dir: string) {
    this.metadataDir = path.join(dir, 'metadata');
    this.bundlesDir = path.join(dir, 'bundles');
    this.packs = new PackStore(path.join(dir, 'packs'));
    this.pointerFile = path.join(dir, 'active.json');
  }

  /** Creates the directories; false when the state cannot be written at all. */
  init(): string | undefined {
    try {
      mkdirSync(this.metadataDir, { recursive: true });
      mkdirSync(this.bundlesDir, { recursive: true });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** The pointer; an unreadable one counts as empty (reported by the caller through `pointerProblem`). */
  readPointer(): { pointer: Pointer; problem?: string } {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.pointerFile, 'utf8'));
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      return { pointer: { bad: [] }, ...(missing ? {} : { problem: `\`active.json\` is unreadable: ${(error as Error).message}` }) };
    }
    const p = raw as Partial<Pointer>;
    const record = (r: unknown): BundleRecord | undefined => {
      const x = r as Partial<BundleRecord> | undefined;
      return x && typeof x.sha256 === 'string' && /^[0-9a-f]{64}$/.test(x.sha256) && typeof x.version === 'number' && typeof x.activatedAt === 'string'
        ? { sha256: x.sha256, version: x.version, activatedAt: x.activatedAt } : undefined;
    };
    const current = record(p.current);
    const previous = record(p.previous);
    const bad = Array.isArray(p.bad) ? p.bad.filter((d): d is string => typeof d === 'string') : [];
    return { pointer: { ...(current ? { current } : {}), ...(previous ? { previous } : {}), bad } };
  }

  /** Reads a stored bundle and checks it still has its digest (a damaged file is never loaded). */
  readBundle(sha256: string): Uint8Array | undefined {
    try {
      const bytes = new Uint8Array(readFileSync(path.join(this.bundlesDir, `${sha256}.json`)));
      return sha256Hex(bytes) === sha256 ? bytes : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stores the bundle, then swaps the pointer; the old current becomes the last-known-good. */
  activate(prepared: Prepared, bytes: Uint8Array, now: Date, onStep?: (step: string) => void): ActivationFailure | BundleRecord {
    const { pointer } = this.readPointer();
    const record: BundleRecord = { sha256: prepared.sha256, version: prepared.version, activatedAt: now.toISOString() };
    const previous = pointer.current && pointer.current.sha256 !== record.sha256 ? pointer.current : pointer.previous;
    try {
      onStep?.('writing bundle');
      if (!this.readBundle(record.sha256)) writeFileAtomic(path.join(this.bundlesDir, `${record.sha256}.json`), bytes);
      onStep?.('switching pointer');
      this.writePointer({ current: record, ...(previous ? { previous } : {}), bad: pointer.bad });
    } catch (error) {
      return failure('VA2005', (error as Error).message);
    }
    this.prune();
    return record;
  }

  /** Goes back to the last-known-good and marks the current digest bad; undefined when there is none. */
  revert(): ActivationFailure | BundleRecord | undefined {
    const { pointer } = this.readPointer();
    if (!pointer.current) return undefined;
    const bad = [...new Set([...pointer.bad, pointer.current.sha256])].slice(-32);
    try {
      this.writePointer({ ...(pointer.previous ? { current: pointer.previous } : {}), bad });
    } catch (error) {
      return failure('VA2005', (error as Error).message);
    }
    return pointer.previous;
  }

  /** Records a digest as bad without changing what runs (a refused bundle is not retried). */
  markBad(sha256: string): void {
    const { pointer } = this.readPointer();
    if (pointer.bad.includes(sha256)) return;
    try {
      this.writePointer({ ...pointer, bad: [...pointer.bad, sha256].slice(-32) });
    } catch {
      // Best effort: a refused bundle is refused again next time anyway.
    }
  }

  private writePointer(pointer: Pointer): void {
    writeFileAtomic(this.pointerFile, new TextEncoder().encode(JSON.stringify(pointer, null, 2) + '\n'));
  }

  /** Removes stored bundles other than current and last-known-good, stale temp files, and packs neither names. */
  private prune(): void {
    const { pointer } = this.readPointer();
    const keep = new Set([pointer.current?.sha256, pointer.previous?.sha256].filter(Boolean).map((d) => `${d}.json`));
    try {
      for (const name of readdirSync(this.bundlesDir)) if (!keep.has(name)) rmSync(path.join(this.bundlesDir, name), { force: true });
    } catch {
      // Pruning is housekeeping; a failure leaves extra files, never a wrong pointer.
    }
    const kept = [pointer.current, pointer.previous].flatMap((r) => (r ? [this.readBundle(r.sha256)] : [])).filter((b): b is Uint8Array => b !== undefined);
    this.packs.prune(kept);
  }
}

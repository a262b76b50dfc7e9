/**
 * The content-hash cache of per-file compilation results (docs/compile.md, "Caching").
 *
 * For a file that compiled cleanly it keeps what the expensive per-file stages produced: each
 * document's classification, plain value (as validated), name and name span, and for Sigma
 * documents the compiled IR as canonical JSON. An unchanged file then skips YAML parsing, schema
 * validation and Sigma compilation; cross-file stages (resolve, checks, lower) always run.
 *
 * Entries live in one pack file per input directory (working tree or git), read in one go:
 * thousands of small files cost more to open than to parse. A file's entry is used when its
 * path and SHA-256 match, and the pack as a whole is keyed by a fingerprint of the compiler
 * itself (its version, dependency versions, the Node version and the bytes of its own code and
 * schemas, so any change to Vigil invalidates every entry) and the Sigma settings (the
 * pipeline's content, placeholders, field map). A pack is replaced atomically (temp file +
 * rename) when a build changed it, so concurrent builds can share a cache (the last one wins).
 * Anything unreadable is a miss: the cache can make a build faster, never different or failing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson, freezeJsonCanonical, freezeJsonCanonicalLazy } from '../runtime/bundle/canonical.js';
import { knownRuleFeatures, ruleFeatures } from './lower/features-used.js';
import type { SigmaCompiled, SigmaOptions } from './sigma/compile-sigma.js';
import { pipelineDigest } from './sigma/pipelines.js';
import type { Source } from './source.js';
import type { DocKind } from './stages/classify.js';

/** Pack format version; bump when the layout of a pack changes. */
const FORMAT = 2;
/** Compiler fingerprints kept side by side (older ones are removed when a new one starts). */
const KEEP_FINGERPRINTS = 3;
/** Packs kept per fingerprint (one per input directory and settings), newest first. */
const KEEP_PACKS = 32;

/** One document of a cached file. */
export interface CachedDoc {
  readonly index: number;
  readonly kind: DocKind;
  readonly name: string | undefined;
  readonly nameSpan: { readonly start: number; readonly end: number };
  /** The document's plain value, exactly as parse produced and validate accepted it. */
  readonly data: Readonly<Record<string, unknown>>;
  /** What the Sigma compiler produced (its IR frozen, canonical text already known). */
  readonly sigma?: SigmaCompiled;
}

/** Counts of one compilation's cache use (for `--format json`, benchmarks and tests). */
export interface CacheStats {
  hits: number;
  misses: number;
  stored: number;
  /** Cached files whose YAML had to be parsed after all, because a later stage needed spans. */
  reparsed: number;
}

/** The default cache directory: VIGIL_CACHE_DIR, else $XDG_CACHE_HOME/vigil, else ~/.cache/vigil. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.VIGIL_CACHE_DIR) return path.resolve(env.VIGIL_CACHE_DIR);
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'vigil');
}

let fingerprintMemo: string | undefined;

/** SHA-256 over the compiler's version, its dependencies and the bytes of its code and schemas. */
export function compilerFingerprint(): string {
  if (fingerprintMemo !== undefined) return fingerprintMemo;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.dirname(here);
  const hash = createHash('sha256').update(`vigil-cache-${FORMAT}\0node-${process.versions.node}\0`);
  // The package.json beside the code (dist/ has none): version and dependency versions.
  for (let dir = root, i = 0; i < 3; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string; dependencies?: unknown };
    if (pkg.name !== 'vigil') continue;
    hash.update(JSON.stringify([pkg.version, pkg.dependencies ?? {}]));
    break;
  }
  for (const folder of ['compiler', 'runtime', 'schema']) {
    for (const rel of codeFiles(path.join(root, folder))) hash.update(`\0${folder}/${rel}\0`).update(readFileSync(path.join(root, folder, rel)));
  }
  return (fingerprintMemo = hash.digest('hex'));
}

/** Code and schema files under a folder, sorted, as relative paths. */
function codeFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (/\.(js|ts|json)$/.test(e.name) && !e.name.endsWith('.d.ts') && !e.name.endsWith('.map')) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

/**
 * The digest of the Sigma settings, or undefined when they cannot be keyed (then nothing is
 * cached). A named pipeline counts by its file's bytes, so it is not parsed just to be keyed.
 */
export function settingsDigest(sigma: SigmaOptions): string | undefined {
  try {
    let pipeline: unknown = sigma.pipelineData ?? null;
    if (sigma.pipelineData === undefined && sigma.pipeline !== undefined) {
      const digest = pipelineDigest(sigma.pipeline);
      if (digest instanceof Error) return undefined;
      pipeline = { name: sigma.pipeline, sha256: digest };
    }
    const text = canonicalJson({ pipeline, placeholders: sigma.placeholders ?? {}, fieldMap: sigma.fieldMap ?? {} });
    return createHash('sha256').update(text).digest('hex');
  } catch {
    return undefined;
  }
}

/** One file's entry as the pack holds it: documents as plain JSON, each Sigma IR as its canonical text. */
interface StoredFile {
  readonly digest: string;
  readonly docs: readonly StoredDoc[];
  /** Canonical IR text of each Sigma document, in document order. */
  readonly irs: readonly string[];
}

/** A document in the pack header: `[index, kind, name, nameStart, nameEnd, data, sigma]`. */
type StoredDoc = [number, DocKind, string | null, number, number, Record<string, unknown>, StoredSigma | null];
/** A Sigma result without its IR: `[type, id, title, lazy variants length or -1, features]`. */
type StoredSigma = [SigmaCompiled['type'], string, string, number, string[]];

/** The first line of a pack after its digest: what it was built for, and its files. */
interface PackHeader {
  readonly format: number;
  readonly fingerprint: string;
  readonly settings: string;
  readonly origin: string;
  /** `[path, digest, docs, first IR line]` per file; IR lines follow the header in file order. */
  readonly files: [string, string, StoredDoc[], number][];
}

/** A cache directory opened for one compilation. */
export class FileCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, stored: 0, reparsed: 0 };
  private readonly folder: string;
  /** The pack of this input as read (undefined until the first lookup, null when absent or damaged). */
  private pack: Map<string, StoredFile> | null | undefined;
  private origin = '';
  /** Entries the next pack keeps: every hit and every file stored by this compilation. */
  private readonly next = new Map<string, StoredFile>();
  private added = 0;

  private constructor(private readonly root: string, private readonly fingerprint: string, private readonly settings: string) {
    this.folder = path.join(root, fingerprint.slice(0, 16));
  }

  /** Opens the cache for these Sigma settings; undefined when they cannot be keyed. */
  static open(root: string, sigma: SigmaOptions): FileCache | undefined {
    const settings = settingsDigest(sigma);
    if (settings === undefined) return undefined;
    try {
      return new FileCache(root, compilerFingerprint(), settings);
    } catch {
      // Vigil's own files could not be read for the fingerprint: build without a cache.
      return undefined;
    }
  }

  /** The pack file of an input: one per compiler, Sigma settings and input directory (working tree or git). */
  private packFile(): string {
    const name = createHash('sha256').update(`${this.fingerprint}\0${this.settings}\0${this.origin}`).digest('hex').slice(0, 32);
    return path.join(this.folder, `${name}.pack`);
  }

  /** Reads the pack of the sources' input once; a missing, unreadable or damaged pack is empty. */
  private load(source: Source): Map<string, StoredFile> | null {
    if (this.pack !== undefined) return this.pack;
    this.origin = `${source.origin.kind}\0${path.resolve(source.origin.root)}`;
    this.pack = null;
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.packFile());
    } catch {
      return null;
    }
    this.pack = decodePack(bytes, this.fingerprint, this.settings, this.origin) ?? null;
    return this.pack;
  }

  /** The cached documents of a file, or undefined on a miss (absent, changed or unreadable entry). */
  get(source: Source): CachedDoc[] | undefined {
    const stored = this.load(source)?.get(source.path);
    const docs = stored !== undefined && stored.digest === source.digest ? decodeDocs(stored) : undefined;
    if (docs === undefined || stored === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    this.next.set(source.path, stored);
    return docs;
  }

  /** Keeps the documents of a file that compiled without any diagnostic, for `save`. */
  put(source: Source, docs: readonly CachedDoc[]): void {
    this.load(source);
    const stored = encodeFile(source.digest, docs);
    if (stored === undefined) return;
    this.next.set(source.path, stored);
    this.added++;
  }

  /**
   * Writes the input's pack when it changed: the entries this compilation used or stored, so
   * entries of deleted or changed files go away. Atomic (temp file + rename); failures are ignored.
   */
  save(): void {
    if (this.pack === undefined) return;
    if (this.added === 0 && this.pack !== null && this.next.size === this.pack.size) return;
    try {
      this.prepare();
      const file = this.packFile();
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        writeFileSync(tmp, encodePack(this.next, { format: FORMAT, fingerprint: this.fingerprint, settings: this.settings, origin: this.origin }));
        renameSync(tmp, file);
      } catch (error) {
        rmSync(tmp, { force: true });
        throw error;
      }
      this.stats.stored += this.added;
    } catch {
      // A cache that cannot be written only makes the next build slower.
    }
  }

  /** Creates the folder; on the first write under a new fingerprint, removes all but the newest older ones; keeps the newest packs. */
  private prepare(): void {
    const fresh = !existsSync(this.folder);
    mkdirSync(this.folder, { recursive: true });
    try {
      if (fresh) {
        const others = readdirSync(this.root, { withFileTypes: true })
          .filter((e) => e.isDirectory() && /^[0-9a-f]{16}$/.test(e.name) && path.join(this.root, e.name) !== this.folder)
          .map((e) => ({ file: path.join(this.root, e.name), time: statSync(path.join(this.root, e.name)).mtimeMs }));
        for (const old of newestFirst(others).slice(KEEP_FINGERPRINTS - 1)) rmSync(old.file, { recursive: true, force: true });
      }
      const packs = readdirSync(this.folder)
        .filter((n) => n.endsWith('.pack'))
        .map((n) => ({ file: path.join(this.folder, n), time: statSync(path.join(this.folder, n)).mtimeMs }));
      for (const old of newestFirst(packs).slice(KEEP_PACKS)) rmSync(old.file, { force: true });
    } catch {
      // Pruning is housekeeping only.
    }
  }
}

function newestFirst<T extends { time: number }>(list: T[]): T[] {
  return list.sort((a, b) => b.time - a.time);
}

/** `,"variants":`, the member a cached rule parses lazily. */
const LAZY_MEMBER = ',"variants":';

/** A file's documents as stored, or undefined when a value JSON cannot carry exactly (`.inf`, -0) makes it uncacheable. */
function encodeFile(digest: string, docs: readonly CachedDoc[]): StoredFile | undefined {
  if (!docs.every((d) => isJsonExact(d.data))) return undefined;
  const irs: string[] = [];
  const stored = docs.map((d): StoredDoc => {
    let sigma: StoredSigma | null = null;
    if (d.sigma !== undefined) {
      const text = canonicalJson(d.sigma.ir);
      irs.push(text);
      sigma = [d.sigma.type, d.sigma.id, d.sigma.title, lazyLength(d.sigma.ir, text), [...ruleFeatures(d.sigma.ir)]];
    }
    return [d.index, d.kind, d.name ?? null, d.nameSpan.start, d.nameSpan.end, d.data as Record<string, unknown>, sigma];
  });
  return { digest, docs: stored, irs };
}

/**
 * The length of the `variants` value text when it is the last member of the rule's canonical
 * text (so it can be parsed lazily), else -1.
 */
function lazyLength(ir: SigmaCompiled['ir'], text: string): number {
  const { variants, ...rest } = ir as { variants?: unknown };
  if (variants === undefined || Object.keys(rest).length === 0) return -1;
  const head = canonicalJson(rest).slice(0, -1) + LAZY_MEMBER;
  return text.startsWith(head) ? text.length - head.length - 1 : -1;
}

/** The documents of a stored file, with frozen IR whose canonical text is known; undefined if damaged. */
function decodeDocs(stored: StoredFile): CachedDoc[] | undefined {
  try {
    let next = 0;
    return stored.docs.map(([index, kind, name, start, end, data, s]) => {
      let sigma: SigmaCompiled | undefined;
      if (s !== null) {
        const text = stored.irs[next++];
        if (text === undefined) throw new Error('missing IR');
        const ir = (s[3] >= 0 ? freezeJsonCanonicalLazy(text, 'variants', s[3]) : freezeJsonCanonical(text)) as SigmaCompiled['ir'];
        knownRuleFeatures(ir, s[4]);
        sigma = { type: s[0], id: s[1], title: s[2], ir };
      }
      return { index, kind, name: name ?? undefined, nameSpan: { start, end }, data, ...(sigma ? { sigma } : {}) };
    });
  } catch {
    return undefined;
  }
}

/**
 * A pack is `<sha256 of the rest>\n<header JSON>\n<IR line>\n...`: the header holds every file's
 * documents, and each Sigma document's IR follows on its own line as canonical JSON (which has no
 * raw newline), so a hit costs no serialization and its text is reused for the bundles.
 */
function encodePack(files: ReadonlyMap<string, StoredFile>, head: Omit<PackHeader, 'files'>): Buffer {
  const list: PackHeader['files'] = [];
  const lines: string[] = [];
  for (const [file, stored] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    list.push([file, stored.digest, stored.docs as StoredDoc[], lines.length]);
    lines.push(...stored.irs);
  }
  const rest = Buffer.from([JSON.stringify({ ...head, files: list }), ...lines].join('\n'), 'utf8');
  return Buffer.concat([Buffer.from(`${createHash('sha256').update(rest).digest('hex')}\n`), rest]);
}

/** The files of a pack, or undefined when it is damaged or was built for something else. */
function decodePack(bytes: Buffer, fingerprint: string, settings: string, origin: string): Map<string, StoredFile> | undefined {
  try {
    if (bytes.length < 65 || bytes[64] !== 0x0a) return undefined;
    const rest = bytes.subarray(65);
    if (createHash('sha256').update(rest).digest('hex') !== bytes.toString('latin1', 0, 64)) return undefined;
    const lines = rest.toString('utf8').split('\n');
    const header = JSON.parse(lines[0] ?? '') as PackHeader;
    if (header.format !== FORMAT || header.fingerprint !== fingerprint || header.settings !== settings || header.origin !== origin || !Array.isArray(header.files)) return undefined;
    const out = new Map<string, StoredFile>();
    for (const [file, digest, docs, first] of header.files) {
      const count = docs.filter((d) => d[6] !== null).length;
      out.set(file, { digest, docs, irs: lines.slice(1 + first, 1 + first + count) });
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Whether a value survives JSON.stringify → JSON.parse unchanged (no NaN, ±Infinity, -0, undefined or exotic objects). */
export function isJsonExact(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isJsonExact(value[i])) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      return Object.keys(value).every((k) => k !== '__proto__' && isJsonExact((value as Record<string, unknown>)[k]));
    }
    default:
      return false;
  }
}

/**
 * The cache directory a command uses: none with `--no-cache`, else `--cache DIR` (relative to
 * `cwd`), else none when VIGIL_CACHE=off, else the default. Undefined means no cache.
 */
export function cacheDirFor(option: string | undefined, disabled: boolean | undefined, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (disabled) return undefined;
  if (option !== undefined) return path.resolve(cwd, option);
  return env.VIGIL_CACHE === 'off' ? undefined : defaultCacheDir(env);
}

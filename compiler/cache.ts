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
 * path and SHA-256 match; a working-tree file whose size, times and inode are those its entry
 * recorded is not even read (compiler/stages/load.ts). The pack as a whole is keyed by a
 * fingerprint of the compiler itself (its version, dependency versions, the Node version and
 * the bytes of its own code and schemas, so any change to Vigil invalidates every entry) and
 * the Sigma settings (the pipeline's file digest, placeholders, field map). Files a build
 * compiled go to a small delta beside the pack (`<name>.delta`, naming the pack it adds to)
 * until the pack is worth rewriting; compiler/cache-pack.ts has the format. Files are replaced
 * atomically (temp file + rename), so concurrent builds can share a cache (the last one wins).
 * Anything unreadable is a miss: the cache can make a build faster, never different or failing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '../runtime/bundle/canonical.js';
import { writtenCodeDigest } from './code-digest.js';
import { decodeChecked, decodeFile, encodeFile, encodePack, packChecksum, type Pack, type PackKey, type StoredFile } from './cache-pack.js';
import type { SigmaCompiled, SigmaOptions } from './sigma/compile-sigma.js';
import { knownPipeline, parsedPipeline, pipelineDigest, type Pipeline } from './sigma/pipelines.js';
import type { Origin, Source } from './source.js';
import type { DocKind } from './stages/classify.js';

/** Pack format version; bump when the layout of a pack changes. */
const FORMAT = 3;
/** Compiler fingerprints kept side by side (older ones are removed when a new one starts). */
const KEEP_FINGERPRINTS = 3;
/** Packs kept per fingerprint (one per input directory and settings), newest first. */
const KEEP_PACKS = 32;
/** Decoded packs and deltas kept in memory for the next build of a long-running process. */
const KEEP_DECODED = 4;
/** Files a delta may hold, and unused pack entries tolerated, beyond a tenth of the pack; past that it is rewritten. */
const DELTA_FILES = 64;

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
  /** Files not even read: their size, times and inode were those the cache saw with their digest. */
  unread: number;
}

/** The default cache directory: VIGIL_CACHE_DIR, else $XDG_CACHE_HOME/vigil, else ~/.cache/vigil. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.VIGIL_CACHE_DIR) return path.resolve(env.VIGIL_CACHE_DIR);
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'vigil');
}

let fingerprintMemo: string | undefined;

/** SHA-256 over the compiler's version, its dependencies and the bytes of the code that runs and its schemas. */
export function compilerFingerprint(): string {
  if (fingerprintMemo !== undefined) return fingerprintMemo;
  const self = fileURLToPath(import.meta.url);
  const here = path.dirname(self);
  // This module is compiler/cache.{ts,js} in the source tree and in tsc's dist/; in the esbuild
  // bundle (scripts/bundle-cli.ts) it is part of a chunk in dist/cli/, beside every other chunk.
  const bundled = !/[\\/]compiler[\\/]cache\.[jt]s$/.test(self);
  const root = bundled ? here : path.dirname(here);
  const hash = createHash('sha256').update(`vigil-cache-${FORMAT}\0node-${process.versions.node}\0`);
  // The package.json above the code (dist/ has none): version and dependency versions.
  for (let dir = root, i = 0; i < 3; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string; dependencies?: unknown };
    if (pkg.name !== 'vigil') continue;
    hash.update(JSON.stringify([pkg.version, pkg.dependencies ?? {}]));
    break;
  }
  // The bundle embeds the schemas and the bundled dependencies in its chunks, whose digest
  // `npm run build` wrote beside them (compiler/code-digest.ts: the same files as the loop below,
  // hashed once at build time instead of on every run).
  const written = bundled ? writtenCodeDigest(here) : undefined;
  if (written !== undefined) return (fingerprintMemo = hash.update(`\0code\0${written}`).digest('hex'));
  const folders = bundled ? [''] : ['compiler', 'runtime', 'schema'];
  for (const folder of folders) {
    for (const rel of codeFiles(path.join(root, folder))) {
      if (bundled && !rel.endsWith('.js')) continue;
      hash.update(`\0${folder}/${rel}\0`).update(readFileSync(path.join(root, folder, rel)));
    }
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
  return settingsOf(sigma)?.digest;
}

/** The settings digest, with the named pipeline's file digest when there is one. */
function settingsOf(sigma: SigmaOptions): { readonly digest: string; readonly pipeline?: { readonly name: string; readonly sha256: string } } | undefined {
  try {
    let pipeline: unknown = sigma.pipelineData ?? null;
    if (sigma.pipelineData === undefined && sigma.pipeline !== undefined) {
      const digest = pipelineDigest(sigma.pipeline);
      if (digest instanceof Error) return undefined;
      pipeline = { name: sigma.pipeline, sha256: digest };
    }
    const text = canonicalJson({ pipeline, placeholders: sigma.placeholders ?? {}, fieldMap: sigma.fieldMap ?? {} });
    const digest = createHash('sha256').update(text).digest('hex');
    return sigma.pipelineData === undefined && sigma.pipeline !== undefined ? { digest, pipeline: pipeline as { name: string; sha256: string } } : { digest };
  } catch {
    return undefined;
  }
}

/** A cache directory opened for one compilation. */
export class FileCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, stored: 0, reparsed: 0, unread: 0 };
  private readonly folder: string;
  /** The entries of this input as read, pack and delta (undefined until the first lookup, null when there is no pack). */
  private pack: Map<string, StoredFile> | null | undefined;
  /** The whole pack as read: its checksum and its entries (a delta only adds to exactly this). */
  private base: { readonly checksum: string; readonly entries: ReadonlySet<StoredFile>; readonly size: number } | undefined;
  /** Entries the delta read held (to tell whether this compilation changed anything). */
  private deltaEntries: ReadonlySet<StoredFile> = new Set();
  private origin = '';
  /** Entries the next pack keeps: every hit and every file stored by this compilation. */
  private readonly next = new Map<string, StoredFile>();
  private added = 0;

  /** The pipeline the last pack held (parsed from the file the settings digest). */
  private pipeline: unknown = null;

  private constructor(
    private readonly root: string,
    private readonly fingerprint: string,
    private readonly settings: string,
    /** The named pipeline and its file digest, when the settings have one. */
    private readonly named: { readonly name: string; readonly sha256: string } | undefined,
  ) {
    this.folder = path.join(root, fingerprint.slice(0, 16));
  }

  /** Opens the cache for these Sigma settings; undefined when they cannot be keyed. */
  static open(root: string, sigma: SigmaOptions): FileCache | undefined {
    const settings = settingsOf(sigma);
    if (settings === undefined) return undefined;
    try {
      return new FileCache(root, compilerFingerprint(), settings.digest, settings.pipeline);
    } catch {
      // Vigil's own files could not be read for the fingerprint: build without a cache.
      return undefined;
    }
  }

  /** What this cache's pack must have been built for. */
  private key(): PackKey {
    return { format: FORMAT, fingerprint: this.fingerprint, settings: this.settings, origin: this.origin };
  }

  /** The pack file of an input: one per compiler, Sigma settings and input directory (working tree or git). */
  private packFile(): string {
    const name = createHash('sha256').update(`${this.fingerprint}\0${this.settings}\0${this.origin}`).digest('hex').slice(0, 32);
    return path.join(this.folder, `${name}.pack`);
  }

  /** Reads the pack of the input once, with its delta; a missing, unreadable or damaged pack is empty. */
  private load(origin: Origin): Map<string, StoredFile> | null {
    if (this.pack !== undefined) return this.pack;
    this.origin = `${origin.kind}\0${path.resolve(origin.root)}`;
    this.pack = null;
    const file = this.packFile();
    const pack = readPack(file, this.key());
    if (pack === undefined) return null;
    this.base = { checksum: pack.checksum, entries: new Set(pack.files.values()), size: pack.files.size };
    this.pack = pack.files;
    this.pipeline = pack.pipeline;
    const delta = readPack(`${file.slice(0, -'.pack'.length)}.delta`, this.key());
    if (delta !== undefined && delta.base === pack.checksum) {
      for (const [path, stored] of delta.files) this.pack.set(path, stored);
      this.deltaEntries = new Set(delta.files.values());
    }
    // A changed file is compiled with the pipeline the pack holds, not parsed from YAML again.
    if (this.named && pack.pipeline !== null) knownPipeline(this.named.name, this.named.sha256, pack.pipeline as Pipeline);
    return this.pack;
  }

  /**
   * The digest of a working-tree file whose stat signature is the one its cache entry was stored
   * with (the load stage then does not read it), else undefined.
   */
  knownDigest(origin: Origin, file: string, stat: string): string | undefined {
    const stored = this.load(origin)?.get(file);
    if (stored === undefined || stored.stat !== stat) return undefined;
    this.stats.unread++;
    return stored.digest;
  }

  /** The cached documents of a file, or undefined on a miss (absent, changed or unreadable entry). */
  get(source: Source): CachedDoc[] | undefined {
    const stored = this.load(source.origin)?.get(source.path);
    const docs = stored !== undefined && stored.digest === source.digest ? decodeFile(stored) : undefined;
    if (docs === undefined || stored === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    // The same bytes with another stat signature (touched, copied, checked out again): the entry is
    // kept with the new one, so the next build need not read the file.
    this.next.set(source.path, stored.stat === source.stat ? stored : withStat(stored, source.stat));
    return docs;
  }

  /** Keeps the documents of a file that compiled without any diagnostic, for `save`; a file that cannot be stored is left out. */
  put(source: Source, docs: readonly CachedDoc[]): void {
    this.load(source.origin);
    const stored = encodeFile(source.digest, docs);
    if (stored === undefined) return;
    this.next.set(source.path, withStat(stored, source.stat));
    this.added++;
  }

  /**
   * Saves what this compilation changed. Entries not in the pack go to a small delta beside it
   * while they and the pack's unused entries are few (an incremental build then writes
   * kilobytes, not the whole pack); otherwise the pack is written anew with exactly the entries
   * used or stored, so entries of deleted or changed files go away, and the delta is dropped. Files are replaced atomically
   * (temp file + rename); failures are ignored.
   */
  save(): void {
    if (this.pack === undefined) return;
    const base = this.base;
    const delta = new Map([...this.next].filter(([, stored]) => !base?.entries.has(stored)));
    const unchanged = delta.size === this.deltaEntries.size && [...delta.values()].every((d) => this.deltaEntries.has(d));
    const stale = base === undefined ? 0 : base.size - (this.next.size - delta.size);
    if (base !== undefined && unchanged && stale === 0) return;
    try {
      this.prepare();
      const file = this.packFile();
      const deltaFile = `${file.slice(0, -'.pack'.length)}.delta`;
      const pipeline = (this.named && parsedPipeline(this.named.name, this.named.sha256)) ?? this.pipeline;
      const limit = Math.max(DELTA_FILES, base === undefined ? 0 : base.size / 10);
      if (base !== undefined && delta.size <= limit && stale <= limit) {
        if (!unchanged) writeAtomic(deltaFile, encodePack(delta, this.key(), pipeline, base.checksum));
      } else {
        writeAtomic(file, encodePack(this.next, this.key(), pipeline));
        rmSync(deltaFile, { force: true });
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
      for (const old of newestFirst(packs).slice(KEEP_PACKS)) {
        rmSync(old.file, { force: true });
        rmSync(`${old.file.slice(0, -'.pack'.length)}.delta`, { force: true });
      }
    } catch {
      // Pruning is housekeeping only.
    }
  }
}

/** An entry with another stat signature (none when the file could not be vouched for). */
function withStat(stored: StoredFile, stat: string | undefined): StoredFile {
  const { stat: _old, ...rest } = stored;
  return stat === undefined ? rest : { ...rest, stat };
}

/**
 * Packs this process decoded, by file: a long-running process (`vigil compile --watch`) decodes
 * an unchanged pack once, not on every build. Its bytes are still read and their checksum
 * verified each time (about 20 ms for 12 MB); only the header's JSON (about 50 ms) is not parsed again.
 */
const decodedPacks = new Map<string, { readonly key: string; readonly pack: Pack }>();

/** A pack or delta file decoded, or undefined when absent, unreadable, damaged or built for another key. */
function readPack(file: string, key: PackKey): Pack | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  // The bytes are hashed once, whether the pack is then recalled or decoded.
  const checksum = packChecksum(bytes);
  if (checksum === undefined) {
    decodedPacks.delete(file);
    return undefined;
  }
  const keyText = JSON.stringify(key);
  const known = decodedPacks.get(file);
  // A copy of the file map: the caller adds the delta's entries to it.
  if (known !== undefined && known.key === keyText && checksum === known.pack.checksum) return { ...known.pack, files: new Map(known.pack.files) };
  const pack = decodeChecked(bytes, key, checksum);
  decodedPacks.delete(file);
  if (pack !== undefined) decodedPacks.set(file, { key: keyText, pack: { ...pack, files: new Map(pack.files) } });
  // The most recently decoded few (a pack and its delta per input): a process compiling many inputs keeps no more.
  for (const old of decodedPacks.keys()) {
    if (decodedPacks.size <= KEEP_DECODED) break;
    decodedPacks.delete(old);
  }
  return pack;
}

/** Writes a file through a temporary one and a rename, so readers see the old or the new bytes, never a part. */
function writeAtomic(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

function newestFirst<T extends { time: number }>(list: T[]): T[] {
  return list.sort((a, b) => b.time - a.time);
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

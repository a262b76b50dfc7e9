/**
 * The file format of the compile cache (compiler/cache.ts): one pack per input, read in one go and
 * decoded lazily, so a warm build pays for what it reads rather than for everything cached.
 *
 * A pack is `<sha256 of the rest>\n<header JSON>\n<body>`. The header lists every file with its
 * digest, documents and stat signature (when the build could vouch for it); each file owns one
 * contiguous segment of the body (so a later pack copies it unchanged). Small members of a
 * document's value are in the header; a member whose JSON is long (a Sigma rule's `detection`,
 * `description`, `references`) is in the segment and parsed on first access. A Sigma document's
 * IR is in the segment as its canonical bytes, rebuilt by freezeCanonicalObject: its small members
 * now, its long ones (`variants`, `attribution`) when read, and its bytes copied as they are into
 * rule packs and bundles.
 */
import { createHash } from 'node:crypto';
import { canonicalMembers, freezeCanonicalObject, placeMembers, type LazyMember } from '../runtime/bundle/canonical.js';
import type { CachedDoc } from './cache.js';
import { knownRuleFeatures, ruleFeatures } from './lower/features-used.js';
import type { SigmaCompiled } from './sigma/compile-sigma.js';
import type { DocKind } from './stages/classify.js';

/** Members whose JSON is at least this long (in bytes) are left in the body until read. */
const LAZY_BYTES = 64;
/** Members every build reads, kept in the header however long: a rule's tags, name and level (resolve, checks). */
const EAGER_DATA: ReadonlySet<string> = new Set(['tags', 'name', 'level']);
/** IR members every build reads (choosing each group's rules): type, id, name and the rules a correlation or filter names. */
const EAGER_IR: ReadonlySet<string> = new Set(['type', 'id', 'name', 'rules']);

/** A value split for storage: `[members in the header, members left in the body]`. */
type StoredObject = [Record<string, unknown>, LazyMember[]];

/** A Sigma result: `[type, id, title, features, IR start, IR end, IR members]`; offsets in the file's segment. */
type StoredSigma = [SigmaCompiled['type'], string, string, string[], number, number, StoredObject];

/** A document: `[index, kind, name, name start, name end, data, sigma]`. */
type StoredDoc = [number, DocKind, string | null, number, number, StoredObject, StoredSigma | null];

/** One file's entry: its digest, its documents and its segment of the body. */
export interface StoredFile {
  readonly digest: string;
  readonly docs: readonly StoredDoc[];
  readonly segment: Uint8Array;
  /** The stat signature the file had with this digest (Source.stat), when the build could vouch for it. */
  readonly stat?: string;
}

/** What a pack was built for; a pack built for anything else is not used. */
export interface PackKey {
  readonly format: number;
  readonly fingerprint: string;
  readonly settings: string;
  readonly origin: string;
}

/** The header: the pack's key, the parsed pipeline, then `[path, digest, docs, segment start, segment end, stat signature]` per file. */
interface PackHeader extends PackKey {
  /** The Sigma pipeline as parsed from the file the key's settings digest (null when not known). */
  readonly pipeline: unknown;
  /** For a delta: the checksum of the pack it adds to (null for a whole pack). */
  readonly base: string | null;
  readonly files: [string, string, StoredDoc[], number, number, string | null][];
}

/** What a pack holds: files by path, and the parsed pipeline (null when not known). */
export interface Pack {
  readonly files: Map<string, StoredFile>;
  readonly pipeline: unknown;
  /** Its own checksum (the SHA-256 its file starts with), which a delta names as its base. */
  readonly checksum: string;
  /** For a delta: the checksum of the pack it adds to (null for a whole pack). */
  readonly base: string | null;
}

/** Collects a file's segment while its documents are encoded. */
class Segment {
  private readonly chunks: Uint8Array[] = [];
  length = 0;

  add(bytes: Uint8Array): number {
    const start = this.length;
    this.chunks.push(bytes);
    this.length += bytes.length;
    return start;
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks, this.length);
  }
}

/**
 * A file's documents for storage, or undefined when it is uncacheable: a value JSON cannot carry
 * exactly (`.inf`, -0), or IR canonical JSON refuses (a lone surrogate, an infinite number).
 */
export function encodeFile(digest: string, docs: readonly CachedDoc[]): StoredFile | undefined {
  if (!docs.every((d) => isJsonExact(d.data))) return undefined;
  try {
    return encodeDocs(digest, docs);
  } catch {
    return undefined;
  }
}

function encodeDocs(digest: string, docs: readonly CachedDoc[]): StoredFile {
  const segment = new Segment();
  const stored = docs.map((d): StoredDoc => {
    let sigma: StoredSigma | null = null;
    if (d.sigma !== undefined) {
      const { bytes, members } = canonicalMembers(d.sigma.ir);
      const start = segment.add(bytes);
      const eager: Record<string, unknown> = {};
      const lazy: LazyMember[] = [];
      const ir = d.sigma.ir as unknown as Record<string, unknown>;
      members.forEach(([key, from, to], position) => {
        if (to - from >= LAZY_BYTES && !EAGER_IR.has(key)) lazy.push([position, key, from, to]);
        else eager[key] = ir[key];
      });
      sigma = [d.sigma.type, d.sigma.id, d.sigma.title, [...ruleFeatures(d.sigma.ir)], start, segment.length, [eager, lazy]];
    }
    return [d.index, d.kind, d.name ?? null, d.nameSpan.start, d.nameSpan.end, splitData(d.data, segment), sigma];
  });
  return { digest, docs: stored, segment: segment.bytes() };
}

/** A document's value with its long members moved to the segment (in JSON.stringify's form: its member order is kept). */
function splitData(data: Readonly<Record<string, unknown>>, segment: Segment): StoredObject {
  const eager: Record<string, unknown> = {};
  const lazy: LazyMember[] = [];
  Object.keys(data).forEach((key, position) => {
    const text = JSON.stringify(data[key]);
    if (text.length < LAZY_BYTES || EAGER_DATA.has(key)) eager[key] = data[key];
    else {
      const bytes = Buffer.from(text, 'utf8');
      const start = segment.add(bytes);
      lazy.push([position, key, start, start + bytes.length]);
    }
  });
  return [eager, lazy];
}

/** The documents of a stored file: frozen IR whose canonical bytes are known, values whose long members parse when read. */
export function decodeFile(stored: StoredFile): CachedDoc[] | undefined {
  try {
    const { segment } = stored;
    return stored.docs.map(([index, kind, name, start, end, data, s]) => {
      let sigma: SigmaCompiled | undefined;
      if (s !== null) {
        const [type, id, title, features, from, to, [eager, lazy]] = s;
        const ir = freezeCanonicalObject(segment.subarray(from, to), eager, lazy) as SigmaCompiled['ir'];
        knownRuleFeatures(ir, features);
        sigma = { type, id, title, ir };
      }
      return { index, kind, name: name ?? undefined, nameSpan: { start, end }, data: lazyRecord(data, segment), ...(sigma ? { sigma } : {}) };
    });
  } catch {
    return undefined;
  }
}

/**
 * A plain, mutable object like the one stored: long members are accessors that parse their JSON
 * from the segment on first read and then become ordinary members (in their original place).
 */
function lazyRecord([eager, lazy]: StoredObject, segment: Uint8Array): Record<string, unknown> {
  if (lazy.length === 0) return eager;
  const out = placeMembers(eager, lazy, recordAccessor);
  recordSources.set(out, { segment, lazy });
  return out;
}

/** Where the lazy members of a lazyRecord object come from. */
const recordSources = new WeakMap<object, { readonly segment: Uint8Array; readonly lazy: readonly LazyMember[] }>();

/** One accessor per member name, shared by every object (objects of one shape then share their hidden class). */
const recordAccessors = new Map<string, PropertyDescriptor>();

function recordAccessor(key: string): PropertyDescriptor {
  let accessor = recordAccessors.get(key);
  if (accessor === undefined) {
    // Reading or writing the member makes it an ordinary member, in the same place.
    const settle = (target: object, value: unknown): void => {
      Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    };
    accessor = {
      enumerable: true,
      configurable: true,
      get(this: object): unknown {
        const source = recordSources.get(this);
        const member = source?.lazy.find((m) => m[1] === key);
        if (source === undefined || member === undefined) throw new TypeError(`lazy member \`${key}\` read through another object`);
        const value = JSON.parse(Buffer.from(source.segment.buffer, source.segment.byteOffset + member[2], member[3] - member[2]).toString('utf8')) as unknown;
        settle(this, value);
        return value;
      },
      set(this: object, value: unknown): void {
        settle(this, value);
      },
    };
    recordAccessors.set(key, accessor);
  }
  return accessor;
}

/** The pack's bytes: the key, the pipeline and files (sorted by path) in the header, their segments in the body. */
export function encodePack(files: ReadonlyMap<string, StoredFile>, key: PackKey, pipeline: unknown = null, base: string | null = null): Buffer {
  const list: PackHeader['files'] = [];
  const segments: Uint8Array[] = [];
  let at = 0;
  for (const [file, stored] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    list.push([file, stored.digest, stored.docs as StoredDoc[], at, at + stored.segment.length, stored.stat ?? null]);
    segments.push(stored.segment);
    at += stored.segment.length;
  }
  const header: PackHeader = { ...key, pipeline: pipeline !== null && isJsonExact(pipeline) ? pipeline : null, base, files: list };
  const rest = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), ...segments]);
  return Buffer.concat([Buffer.from(`${createHash('sha256').update(rest).digest('hex')}\n`), rest]);
}

/** The files of a pack, or undefined when it is damaged or was built for another key. */
export function decodePack(bytes: Uint8Array, key: PackKey): Pack | undefined {
  const checksum = packChecksum(bytes);
  return checksum === undefined ? undefined : decodeChecked(bytes, key, checksum);
}

/** The files of a pack whose bytes `packChecksum` found intact (with that checksum); undefined when built for another key. */
export function decodeChecked(bytes: Uint8Array, key: PackKey, checksum: string): Pack | undefined {
  try {
    const rest = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).subarray(65);
    const newline = rest.indexOf(0x0a);
    if (newline < 0) return undefined;
    const header = JSON.parse(rest.toString('utf8', 0, newline)) as PackHeader;
    if (header.format !== key.format || header.fingerprint !== key.fingerprint || header.settings !== key.settings || header.origin !== key.origin || !Array.isArray(header.files)) return undefined;
    const body = rest.subarray(newline + 1);
    const out = new Map<string, StoredFile>();
    for (const [file, digest, docs, start, end, stat] of header.files) {
      if (!(start <= end && end <= body.length)) return undefined;
      out.set(file, { digest, docs, segment: body.subarray(start, end), ...(typeof stat === 'string' ? { stat } : {}) });
    }
    return { files: out, pipeline: header.pipeline ?? null, checksum, base: typeof header.base === 'string' ? header.base : null };
  } catch {
    return undefined;
  }
}

/** The checksum a pack's bytes start with, when the rest of them match it; undefined for damaged bytes. */
export function packChecksum(bytes: Uint8Array): string | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buffer.length < 65 || buffer[64] !== 0x0a) return undefined;
  const checksum = buffer.toString('latin1', 0, 64);
  return createHash('sha256').update(buffer.subarray(65)).digest('hex') === checksum ? checksum : undefined;
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

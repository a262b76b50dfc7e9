// RFC 8785 JSON Canonicalization Scheme: https://www.rfc-editor.org/rfc/rfc8785
import { createHash, type Hash } from 'node:crypto';

/**
 * The serializer is hand-written for speed (a 7 MB bundle took about a second with the
 * `canonicalize` package) and kept exactly equal to that package on JSON values: a property
 * test (tests/unit/bundle/canonical-fast.test.ts) compares the two on random values, and RFC
 * 8785's own vectors are checked too. The rules: keys sorted by UTF-16 code units (the default
 * sort order of JS strings), strings and numbers as ECMAScript's JSON.stringify writes them
 * (Number::toString for numbers, -0 as 0), no whitespace; NaN, Infinity, lone surrogates and
 * cycles are refused; `undefined` members are left out and `undefined` array items become null.
 *
 * Subtrees passed through `freezeJson` are immutable, so their canonical text is computed once
 * and kept in a WeakMap by object identity: a Sigma rule shared by 50 host groups' bundles is
 * serialized once, and each bundle is assembled from the cached texts of its members.
 */

/** Objects whose whole subtree was frozen by `freezeJson`; only these are memoised. */
const frozenRoots = new WeakSet<object>();
/** Canonical UTF-8 bytes known for a frozen subtree (read from a cache), and its text once decoded. */
interface KnownBytes {
  readonly bytes: Uint8Array;
  text?: string;
  /** Members of a freezeCanonicalObject object still in `bytes`, and those parsed so far. */
  readonly lazy?: readonly LazyMember[];
  parsed?: Map<string, unknown>;
}

/** Canonical text (or bytes) of frozen subtrees, by identity. */
const memo = new WeakMap<object, string | KnownBytes>();

/**
 * Deep-freezes plain JSON data (objects, arrays, primitives) and marks it so its canonical text
 * is memoised. Call it once data is final (the compiler's IR is never changed after lowering);
 * any later attempt to change it throws in strict mode instead of silently changing a bundle.
 */
export function freezeJson<T>(value: T): T {
  if (value === null || typeof value !== 'object' || frozenRoots.has(value)) return value;
  deepFreeze(value);
  // Only the roots are remembered (a WeakSet insert per nested object would cost more than the freezing).
  frozenRoots.add(value);
  return value;
}

function deepFreeze(value: object): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) freezeMember(value[i]);
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new TypeError('freezeJson takes plain JSON data only');
    // for-in is the fastest walk; plain objects have no enumerable inherited members.
    for (const key in value) freezeMember((value as Record<string, unknown>)[key]);
  }
  Object.freeze(value);
}

function freezeMember(member: unknown): void {
  if (member === null || typeof member !== 'object') return;
  // A frozen root is already frozen all the way down (a rule inside a bundle document).
  if (Object.isFrozen(member) && frozenRoots.has(member)) return;
  deepFreeze(member);
}

/**
 * Parses canonical JSON text into frozen data whose canonical text is already known (the
 * compile cache stores IR this way, so a cached rule is never serialized again). The caller
 * vouches that `text` is canonical: it must come from `canonicalJson`, as cache entries do.
 */
export function freezeJsonCanonical(text: string): unknown {
  const value = freezeJson(JSON.parse(text) as unknown);
  if (value !== null && typeof value === 'object') memo.set(value, text);
  return value;
}

/** A member parsed on first access: `[position among the members, key, start, end]`, byte offsets of its value. */
export type LazyMember = readonly [number, string, number, number];

/**
 * Frozen data rebuilt from a cache without parsing all of it: `eager` holds the members parsed
 * already, `lazy` the members whose values are parsed (and frozen) from `bytes` on first access,
 * and `bytes` is the whole object's canonical UTF-8 encoding, which canonicalBytes copies in as
 * is (a cached Sigma rule's matching logic is most of its text, yet a warm build only encodes
 * the rule and reads its id, type and names). Members keep the order their positions give. The
 * caller vouches that the pieces come from `canonicalMembers` of one object, as cache entries do.
 */
export function freezeCanonicalObject(bytes: Uint8Array, eager: Readonly<Record<string, unknown>>, lazy: readonly LazyMember[]): object {
  const out = placeMembers(eager, lazy, lazyAccessor, freezeMember);
  Object.freeze(out);
  frozenRoots.add(out);
  memo.set(out, { bytes, lazy });
  return out;
}

/**
 * A new object with `eager`'s members and, at their recorded positions, accessor members for
 * `lazy` ones, so the members keep the order they were stored in; `take` sees each eager value.
 * Throws when the positions do not fit (a damaged entry: callers treat it as a miss).
 */
export function placeMembers(eager: Readonly<Record<string, unknown>>, lazy: readonly LazyMember[], accessor: (key: string) => PropertyDescriptor, take: (value: unknown) => void = () => undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = Object.keys(eager);
  let e = 0;
  let l = 0;
  for (let position = 0; position < keys.length + lazy.length; position++) {
    const next = lazy[l];
    if (next !== undefined && next[0] === position) {
      l++;
      Object.defineProperty(out, next[1], accessor(next[1]));
    } else {
      const key = keys[e++] as string;
      const value = eager[key];
      take(value);
      out[key] = value;
    }
  }
  if (l !== lazy.length || e !== keys.length) throw new Error('lazy member positions do not fit the object');
  return out;
}

/** One accessor per member name, shared by every object (objects of one shape then share their hidden class). */
const lazyAccessors = new Map<string, PropertyDescriptor>();

function lazyAccessor(key: string): PropertyDescriptor {
  let accessor = lazyAccessors.get(key);
  if (accessor === undefined) {
    accessor = {
      enumerable: true,
      configurable: false,
      get(this: object): unknown {
        const source = memo.get(this);
        const member = typeof source === 'object' ? source.lazy?.find((m) => m[1] === key) : undefined;
        if (typeof source !== 'object' || member === undefined) throw new TypeError(`lazy member \`${key}\` read through another object`);
        source.parsed ??= new Map();
        if (source.parsed.has(key)) return source.parsed.get(key);
        const value = freezeJson(JSON.parse(Buffer.from(source.bytes.buffer, source.bytes.byteOffset + member[2], member[3] - member[2]).toString('utf8')) as unknown);
        source.parsed.set(key, value);
        return value;
      },
    };
    lazyAccessors.set(key, accessor);
  }
  return accessor;
}

/**
 * The canonical UTF-8 bytes of a plain object and where each member's value lies in them:
 * `[key, start, end]` byte offsets, members in canonical order (what freezeCanonicalObject needs
 * to rebuild the object lazily).
 */
export function canonicalMembers(value: object): { readonly bytes: Uint8Array; readonly members: readonly (readonly [string, number, number])[] } {
  const record = value as Record<string, unknown>;
  const pieces: string[] = [];
  const members: [string, number, number][] = [];
  let at = 1;
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined || typeof member === 'symbol') continue;
    const head = `${pieces.length === 0 ? '' : ','}${stringText(key)}:`;
    const text = canonicalJson(member);
    const start = at + Buffer.byteLength(head, 'utf8');
    at = start + Buffer.byteLength(text, 'utf8');
    members.push([key, start, at]);
    pieces.push(head, text);
  }
  const bytes = utf8Bytes(`{${pieces.join('')}}`);
  // A frozen object is encoded later from these bytes rather than serialized again.
  if (frozenRoots.has(value) && !memo.has(value)) memo.set(value, { bytes });
  return { bytes, members };
}

/** Whether a value was given to `freezeJson` (so its canonical text is memoised); primitives count as frozen. */
export function isFrozenJson(value: unknown): boolean {
  return value === null || typeof value !== 'object' || frozenRoots.has(value);
}

/** String.prototype.isWellFormed (ES2024; in Node 20, beyond this project's ES2023 lib). */
type WellFormedString = string & { isWellFormed(): boolean };

function stringText(value: string): string {
  // Well-formed means no lone surrogate (surrogate pairs are fine), exactly what RFC 8785 needs.
  if (!(value as WellFormedString).isWellFormed()) throw new Error('Lone surrogate is not allowed');
  return JSON.stringify(value);
}

function numberText(value: number): string {
  if (Number.isNaN(value)) throw new Error('NaN is not allowed');
  if (!Number.isFinite(value)) throw new Error('Infinity is not allowed');
  return String(value);
}

/** Memoised texts at least this long are kept as bytes too once canonicalBytes meets them. */
const SPLICE_CHARS = 16384;

/** A piece of canonical output: text, or UTF-8 bytes already known (see `freezeCanonicalObject`). */
type Piece = string | Uint8Array;

/**
 * Canonical text of any value, or the pieces of it when `bytesOk` and some subtree's canonical
 * bytes are known (canonicalBytes then copies those bytes instead of decoding and re-encoding
 * them); `stack` holds the objects being serialized, to refuse cycles.
 */
function serialize(value: unknown, stack: Set<object>, bytesOk: boolean): string | Piece[] | undefined {
  switch (typeof value) {
    case 'string':
      return stringText(value);
    case 'number':
      return numberText(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return undefined;
    case 'object':
      break;
    default:
      throw new TypeError(`a ${typeof value} has no JSON representation`);
  }
  if (value === null) return 'null';
  const cached = memo.get(value);
  if (cached !== undefined) {
    if (typeof cached === 'string') {
      if (!bytesOk || cached.length < SPLICE_CHARS) return cached;
      // A large memoised text is encoded once; later encodings copy its bytes instead of its text.
      const bytes = utf8Bytes(cached);
      memo.set(value, { bytes, text: cached });
      return [bytes];
    }
    if (bytesOk) return [cached.bytes];
    return (cached.text ??= Buffer.from(cached.bytes.buffer, cached.bytes.byteOffset, cached.bytes.length).toString('utf8'));
  }
  if (stack.has(value)) throw new Error('Circular reference detected');
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    stack.add(value);
    const result = serialize(toJSON.call(value), stack, bytesOk);
    stack.delete(value);
    return result;
  }
  stack.add(value);
  let mixed = false;
  let open: string;
  const parts: (string | Piece[])[] = [];
  if (Array.isArray(value)) {
    open = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const part = item === undefined || typeof item === 'symbol' ? 'null' : (serialize(item, stack, bytesOk) as string | Piece[]);
      if (typeof part !== 'string') mixed = true;
      parts.push(part);
    }
  } else {
    open = '{';
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    for (const key of keys) {
      const member = record[key];
      if (member === undefined || typeof member === 'symbol') continue;
      const part = serialize(member, stack, bytesOk) as string | Piece[];
      if (typeof part === 'string') parts.push(`${stringText(key)}:${part}`);
      else {
        mixed = true;
        parts.push([`${stringText(key)}:`, ...part]);
      }
    }
  }
  stack.delete(value);
  const close = open === '[' ? ']' : '}';
  if (mixed) return joinPieces(open, parts, close);
  const text = `${open}${(parts as string[]).join(',')}${close}`;
  if (frozenRoots.has(value)) memo.set(value, text);
  return text;
}

/** `open`, the parts separated by commas, `close`, with neighbouring text merged. */
function joinPieces(open: string, parts: readonly (string | Piece[])[], close: string): Piece[] {
  const out: Piece[] = [];
  let text = open;
  const add = (piece: Piece): void => {
    if (typeof piece === 'string') text += piece;
    else {
      if (text !== '') out.push(text);
      out.push(piece);
      text = '';
    }
  };
  parts.forEach((part, i) => {
    if (i > 0) text += ',';
    if (typeof part === 'string') text += part;
    else for (const piece of part) add(piece);
  });
  out.push(`${text}${close}`);
  return out;
}

/** The RFC 8785 canonical text of a JSON value; throws on values JSON cannot represent. */
export function canonicalJson(value: unknown): string {
  const text = serialize(value, new Set(), false);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text as string;
}

/** The RFC 8785 canonical UTF-8 bytes of a JSON value: the one wire form of every Vigil file. */
export function canonicalBytes(value: unknown): Uint8Array {
  const encoded = serialize(value, new Set(), true);
  if (encoded === undefined) throw new TypeError('value has no JSON representation');
  if (typeof encoded === 'string') return utf8Bytes(encoded);
  let length = 0;
  for (const piece of encoded) length += typeof piece === 'string' ? Buffer.byteLength(piece, 'utf8') : piece.length;
  const out = new Uint8Array(length);
  const view = Buffer.from(out.buffer, out.byteOffset, out.length);
  let at = 0;
  for (const piece of encoded) {
    if (typeof piece === 'string') at += view.write(piece, at, 'utf8');
    else {
      out.set(piece, at);
      at += piece.length;
    }
  }
  return out;
}

/**
 * UTF-8 bytes of a string as a plain Uint8Array (not a Buffer) that owns its memory. A large
 * Buffer.from already has a memory block of its own, so it is viewed rather than copied (for
 * a bundle-sized text the copy cost as much as the encoding); small ones come from Buffer's
 * shared pool and are copied out of it.
 */
function utf8Bytes(text: string): Uint8Array {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) return new Uint8Array(buffer.buffer, 0, buffer.byteLength);
  return new Uint8Array(buffer);
}

/** Lower-case hex SHA-256 of raw bytes. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Digests the repository builder already computed for byte arrays it created itself (from a
 * shared hash state, see targets/bundle.ts). Deliberately not consulted by `sha256Hex`: a
 * verifier always hashes what it was given.
 */
const knownDigests = new WeakMap<Uint8Array, string>();

/** Records the SHA-256 of bytes the caller just built and will never change. */
export function rememberDigest(bytes: Uint8Array, digest: string): void {
  knownDigests.set(bytes, digest);
}

/** The SHA-256 of bytes built in this process: the remembered digest, else computed (and remembered). */
export function builtDigest(bytes: Uint8Array): string {
  const known = knownDigests.get(bytes);
  if (known !== undefined) return known;
  const digest = sha256Hex(bytes);
  knownDigests.set(bytes, digest);
  return digest;
}

/**
 * Canonical bytes of many objects that share the value of their first member in canonical key
 * order (each host group's bundle document is `{"content": ..., "features", "group", ...}`, and
 * groups with the same packages have the same content). The shared prefix `{"<key>":<value>` is
 * encoded and hashed once; each object then costs only its own small tail, and its SHA-256 is
 * finished from a copy of the prefix's hash state and remembered for `builtDigest`. The bytes are
 * exactly `canonicalBytes(value)`; objects of any other shape simply take that path.
 */
export class SharedPrefixEncoder {
  private readonly prefixes = new Map<string, { readonly bytes: Buffer; readonly hash: Hash }>();
  /** The same prefixes by the shared value's identity, so a shared object is not even compared as text. */
  private readonly byValue = new WeakMap<object, { readonly bytes: Buffer; readonly hash: Hash }>();

  constructor(private readonly key: string) {}

  /** The canonical bytes of `value`, with their digest remembered. */
  encode(value: object): Uint8Array {
    const record = value as Record<string, unknown>;
    const shared = record[this.key];
    const keys = Object.keys(record);
    if (shared === undefined || typeof record.toJSON === 'function' || keys.some((k) => k !== this.key && k < this.key)) {
      const bytes = canonicalBytes(value);
      rememberDigest(bytes, sha256Hex(bytes));
      return bytes;
    }
    let prefix = shared !== null && typeof shared === 'object' && isFrozenJson(shared) ? this.byValue.get(shared) : undefined;
    if (!prefix) {
      const head = `{${stringText(this.key)}:${canonicalJson(shared)}`;
      prefix = this.prefixes.get(head);
      if (!prefix) {
        const bytes = Buffer.from(head, 'utf8');
        prefix = { bytes, hash: createHash('sha256').update(bytes) };
        this.prefixes.set(head, prefix);
      }
      if (shared !== null && typeof shared === 'object' && isFrozenJson(shared)) this.byValue.set(shared, prefix);
    }
    const rest: Record<string, unknown> = {};
    for (const k of keys) if (k !== this.key) rest[k] = record[k];
    const restText = canonicalJson(rest);
    const tail = Buffer.from(restText === '{}' ? '}' : `,${restText.slice(1)}`, 'utf8');
    // Every byte is written below, so the buffer need not be zero-filled first.
    const buffer = Buffer.allocUnsafe(prefix.bytes.length + tail.length);
    prefix.bytes.copy(buffer, 0);
    tail.copy(buffer, prefix.bytes.length);
    const out = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
    rememberDigest(out, prefix.hash.copy().update(tail).digest('hex'));
    return out;
  }
}

/** Parses UTF-8 JSON bytes; only call this on bytes whose digest or signature was already checked. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
}

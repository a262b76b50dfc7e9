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
/** Canonical text of frozen subtrees, by identity. */
const memo = new WeakMap<object, string>();

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

/**
 * Like `freezeJsonCanonical` for an object whose last member in canonical order is `key` with a
 * value of `length` characters: only the rest is parsed now, and that member is parsed (and
 * frozen) on first access. A cached Sigma rule's `variants` are most of its text, yet a warm
 * build only serializes the rule (from the memoised text) and reads its id, type and names.
 * The caller vouches that `text` is canonical; a text that does not end in that member throws.
 */
export function freezeJsonCanonicalLazy(text: string, key: string, length: number): object {
  const end = text.length - 1;
  const start = end - length;
  const member = `,${JSON.stringify(key)}:`;
  if (length <= 0 || text.charCodeAt(end) !== 0x7d || text.slice(start - member.length, start) !== member) throw new Error(`canonical text does not end with member \`${key}\``);
  const shell = JSON.parse(`${text.slice(0, start - member.length)}}`) as unknown;
  if (shell === null || typeof shell !== 'object' || Array.isArray(shell) || Object.hasOwn(shell, key)) throw new Error('canonical text is not an object');
  for (const k in shell) freezeMember((shell as Record<string, unknown>)[k]);
  let value: unknown;
  let parsed = false;
  const get = (): unknown => {
    if (!parsed) {
      value = freezeJson(JSON.parse(text.slice(start, end)) as unknown);
      parsed = true;
    }
    return value;
  };
  // Defined last, so member order is still the text's (canonical) order.
  Object.defineProperty(shell, key, { enumerable: true, configurable: false, get });
  Object.freeze(shell);
  frozenRoots.add(shell);
  memo.set(shell, text);
  return shell;
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

/** Canonical text of any value; `stack` holds the objects being serialized, to refuse cycles. */
function serialize(value: unknown, stack: Set<object>): string | undefined {
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
  if (cached !== undefined) return cached;
  if (stack.has(value)) throw new Error('Circular reference detected');
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    stack.add(value);
    const result = serialize(toJSON.call(value), stack);
    stack.delete(value);
    return result;
  }
  stack.add(value);
  let text: string;
  if (Array.isArray(value)) {
    const parts = new Array<string>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      parts[i] = item === undefined || typeof item === 'symbol' ? 'null' : (serialize(item, stack) as string);
    }
    text = `[${parts.join(',')}]`;
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    const parts: string[] = [];
    for (const key of keys) {
      const member = record[key];
      if (member === undefined || typeof member === 'symbol') continue;
      parts.push(`${stringText(key)}:${serialize(member, stack) as string}`);
    }
    text = `{${parts.join(',')}}`;
  }
  stack.delete(value);
  if (frozenRoots.has(value)) memo.set(value, text);
  return text;
}

/** The RFC 8785 canonical text of a JSON value; throws on values JSON cannot represent. */
export function canonicalJson(value: unknown): string {
  const text = serialize(value, new Set());
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

/** The RFC 8785 canonical UTF-8 bytes of a JSON value: the one wire form of every Vigil file. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8Bytes(canonicalJson(value));
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

/**
 * Value transformations of the encoding modifiers (Sigma modifiers appendix, "Encoding"), and
 * `windash`. They run at compile time: the engine only ever sees the resulting literals.
 */

/** A value on its way through a modifier chain: text (a Sigma wildcard string) or raw bytes. */
export type Piece = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

/** UTF-8 bytes of a literal. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** UTF-16 code units as little- or big-endian bytes, optionally with a byte-order mark (FF FE). */
export function utf16(text: string, endian: 'le' | 'be', bom = false): Uint8Array {
  const out = new Uint8Array(text.length * 2 + (bom ? 2 : 0));
  let o = 0;
  if (bom) {
    out[o++] = 0xff;
    out[o++] = 0xfe;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (endian === 'le') {
      out[o++] = c & 0xff;
      out[o++] = c >> 8;
    } else {
      out[o++] = c >> 8;
      out[o++] = c & 0xff;
    }
  }
  return out;
}

/** Standard base64 with padding. */
export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/**
 * The three base64 forms a value takes when it sits at byte offset 0, 1 or 2 of a longer
 * encoded string: encode with 0-2 leading filler bytes, then drop the characters the filler
 * and the unknown neighbours influence (pySigma's base64offset does the same).
 */
export function base64Offsets(bytes: Uint8Array): string[] {
  const startCut = [0, 2, 3];
  const endCut = [0, 3, 2];
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array(bytes.length + shift);
    padded.fill(0x20, 0, shift);
    padded.set(bytes, shift);
    const enc = base64(padded);
    const cut = endCut[(bytes.length + shift) % 3]!;
    out.push(enc.slice(startCut[shift]!, cut === 0 ? enc.length : enc.length - cut));
  }
  return out;
}

/** Bytes as a string of the same code units (what an un-encoded `utf16le` value matches). */
export function bytesAsText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** The characters Windows accepts in place of `-` or `/` before a command-line flag. */
export const WINDASH_CHARS = ['-', '/', '\u2013', '\u2014', '\u2015'];

const WORD = /[A-Za-z0-9_]/;

/**
 * Every spelling of a command line whose flag dashes may be any windash character. Like pySigma,
 * only a dash that starts a word (not preceded by a word character, followed by one) is a flag
 * dash; `a-b` keeps its hyphen. At most 6 positions are expanded (5^6 variants) to bound size.
 */
export function windash(text: string): string[] {
  const positions: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (!WINDASH_CHARS.includes(text[i]!)) continue;
    const prev = i > 0 ? text[i - 1]! : '';
    const next = text[i + 1] ?? '';
    if (!WORD.test(prev) && WORD.test(next)) positions.push(i);
  }
  let variants = [text];
  for (const pos of positions.slice(0, 6)) {
    const next: string[] = [];
    for (const v of variants) for (const c of WINDASH_CHARS) next.push(v.slice(0, pos) + c + v.slice(pos + 1));
    variants = next;
  }
  return variants;
}

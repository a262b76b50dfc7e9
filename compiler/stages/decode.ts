import { createHash } from 'node:crypto';

/** The outcome of turning a file's bytes into text. */
export type Decoded =
  | { readonly ok: true; readonly text: string; readonly digest: string }
  | { readonly ok: false; readonly problem: 'binary' | 'invalid-utf8'; readonly byte: number; readonly offset: number; readonly text: string; readonly digest: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder('utf-8', { fatal: false });

/**
 * Decodes a policy file: UTF-8, a leading byte-order mark dropped, CRLF kept (offsets index
 * the exact text). A NUL byte means binary; both failures report where the bad byte is.
 */
export function decode(bytes: Uint8Array): Decoded {
  const digest = createHash('sha256').update(bytes).digest('hex');
  const nul = bytes.indexOf(0);
  if (nul !== -1) return failure('binary', bytes, nul, digest);
  try {
    return { ok: true, text: utf8.decode(bytes), digest };
  } catch {
    return failure('invalid-utf8', bytes, firstInvalidUtf8(bytes), digest);
  }
}

function failure(problem: 'binary' | 'invalid-utf8', bytes: Uint8Array, byte: number, digest: string): Decoded {
  // The valid prefix decodes losslessly, so its length is the UTF-16 offset of the bad byte.
  const prefix = lossy.decode(bytes.subarray(0, byte));
  const text = problem === 'binary' ? prefix : lossy.decode(bytes);
  return { ok: false, problem, byte, offset: prefix.length, text, digest };
}

/** Index of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let n = 0;
    let min = 0;
    if (b < 0x80) { i++; continue; }
    else if (b >= 0xc2 && b <= 0xdf) { n = 1; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { n = 2; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { n = 3; min = 0x10000; }
    else return i;
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return bytes.length;
}

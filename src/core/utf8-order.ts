import { encodeName } from './path-bytes.js';

/**
 * Compares two strings in the byte order of their UTF-8 encodings (which is code point order)
 * without encoding them. UTF-16 code unit order agrees except for surrogates (code points past
 * U+FFFF), which must sort after U+E000..U+FFFF: the first differing unit is remapped accordingly.
 */
export function compareUtf8(a: string, b: string): number {
  // A name holding bytes that are not UTF-8 (see path-bytes.ts) is compared by its bytes: rare.
  if (!a.isWellFormed() || !b.isWellFormed()) return Buffer.compare(encodeName(a), encodeName(b));
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return byteOrderKey(x) - byteOrderKey(y);
  }
  return a.length - b.length;
}

function byteOrderKey(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}

/** Byte order of `bytes[aStart, aEnd)` and `bytes[bStart, bEnd)` (compareUtf8's order), read in place. */
export function compareByteRanges(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < length; i++) {
    const difference = bytes[aStart + i]! - bytes[bStart + i]!;
    if (difference !== 0) return difference;
  }
  return aEnd - aStart - (bEnd - bStart);
}

import { isUtf8 } from 'node:buffer';

/**
 * Names are bytes, as the file system has them (git and restic keep them so too). In this program a
 * name is a string that holds them losslessly: bytes that are valid UTF-8 decode as usual, and every
 * byte that is not (invalid, overlong, an encoded surrogate) becomes a lone surrogate U+DC80..U+DCFF
 * (Python's "surrogateescape"). Valid UTF-8 never decodes to a lone surrogate, so the mapping is
 * one-to-one, and a name that is valid UTF-8 is the very string it always was (no format change
 * for it). Strings go back to bytes at the edges: file system calls (`fsPath`), and encoders.
 */

const ESCAPE_BASE = 0xdc00;

/** The name's string (see above). */
export function decodeName(bytes: Uint8Array): string {
  if (isUtf8(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let out = '';
  let at = 0;
  while (at < bytes.length) {
    const length = validSequenceLength(bytes, at);
    if (length === 0) {
      out += String.fromCharCode(ESCAPE_BASE + bytes[at]!);
      at += 1;
    } else {
      out += Buffer.from(bytes.buffer, bytes.byteOffset + at, length).toString('utf8');
      at += length;
    }
  }
  return out;
}

/** `decodeName` of `bytes[start, end)`, without a view: where they are valid UTF-8 (nearly always), one toString. */
export function decodeNameAt(bytes: Buffer, start: number, end: number): string {
  const text = bytes.toString('utf8', start, end);
  return text.includes('\ufffd') ? decodeName(bytes.subarray(start, end)) : text; // U+FFFD: a replaced byte, or a real U+FFFD
}

/** The name's bytes. A lone surrogate that is no escaped byte cannot come from a name: it is refused. */
export function encodeName(name: string): Buffer {
  if (name.isWellFormed()) return Buffer.from(name, 'utf8');
  const parts: Buffer[] = [];
  let plainStart = 0;
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = name.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++; // a surrogate pair: an ordinary character past U+FFFF
      continue;
    }
    if (unit < 0xdc80 || unit > 0xdcff) throw new RangeError(`not a name: lone surrogate U+${unit.toString(16).toUpperCase()} at ${i}`);
    parts.push(Buffer.from(name.slice(plainStart, i), 'utf8'), Buffer.of(unit - ESCAPE_BASE));
    plainStart = i + 1;
  }
  parts.push(Buffer.from(name.slice(plainStart), 'utf8'));
  return Buffer.concat(parts);
}

/** Bytes of the name's encoding, without making it where it is plain. */
export function nameByteLength(name: string): number {
  return name.isWellFormed() ? Buffer.byteLength(name, 'utf8') : encodeName(name).length;
}

/** A path as the file system takes it: the string where it is valid UTF-8, its bytes where not. */
export function fsPath(path: string): string | Buffer {
  return path.isWellFormed() ? path : encodeName(path);
}

/** Length of the valid UTF-8 sequence at `at` (strict: no overlongs, no surrogates, at most U+10FFFF), 0 if none. */
function validSequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at]!;
  if (lead < 0x80) return 1;
  const continuation = (offset: number, low = 0x80, high = 0xbf): boolean => {
    const byte = bytes[at + offset];
    return byte !== undefined && byte >= low && byte <= high;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return continuation(1) ? 2 : 0;
  if (lead === 0xe0) return continuation(1, 0xa0) && continuation(2) ? 3 : 0;
  if (lead === 0xed) return continuation(1, 0x80, 0x9f) && continuation(2) ? 3 : 0;
  if (lead >= 0xe1 && lead <= 0xef) return continuation(1) && continuation(2) ? 3 : 0;
  if (lead === 0xf0) return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead >= 0xf1 && lead <= 0xf3) return continuation(1) && continuation(2) && continuation(3) ? 4 : 0;
  if (lead === 0xf4) return continuation(1, 0x80, 0x8f) && continuation(2) && continuation(3) ? 4 : 0;
  return 0;
}

const QUOTED_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
};

/**
 * A path for a script, as git's porcelain prints it (core.quotePath on, git's default): as it is when
 * every byte is printable ASCII, otherwise in double quotes with C escapes and every other byte,
 * non-ASCII UTF-8 included, in octal (`"caf\303\251"`).
 */
export function quotePathAscii(path: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/u.test(path) && !/["\\]/u.test(path)) return path;
  let out = '"';
  for (const byte of encodeName(path)) {
    const character = String.fromCharCode(byte);
    if (QUOTED_ESCAPES[character] !== undefined) out += QUOTED_ESCAPES[character];
    else if (byte < 0x20 || byte >= 0x7f) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += character;
  }
  return `${out}"`;
}

/**
 * A path for a person, as git prints it: as it is where it is printable, otherwise in double quotes
 * with C escapes and each byte that is not valid UTF-8 in octal (`"bad\377name"`). Valid non-ASCII
 * UTF-8 is printed as it is (git with core.quotePath off).
 */
export function quotePath(path: string): string {
  // eslint-disable-next-line no-control-regex
  if (path.isWellFormed() && !/[\x00-\x1f\x7f"\\]/.test(path)) return path;
  let out = '"';
  for (let i = 0; i < path.length; i++) {
    const character = path[i]!;
    const unit = path.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      out += path.slice(i, i + 2); // a surrogate pair: one character past U+FFFF
      i++;
    } else if (unit >= 0xdc80 && unit <= 0xdcff) out += `\\${(unit - ESCAPE_BASE).toString(8).padStart(3, '0')}`;
    else if (QUOTED_ESCAPES[character] !== undefined) out += QUOTED_ESCAPES[character];
    else if (unit < 0x20 || unit === 0x7f) out += `\\${unit.toString(8).padStart(3, '0')}`;
    else out += character;
  }
  return `${out}"`;
}

import { CorruptionError } from '../core/errors.js';
import { compareUtf8 } from '../core/utf8-order.js';

/**
 * Modification times of a commit's files, kept apart from the trees so that identical content still
 * has identical tree ids. Encoding: u8 version(1) | u32 count | count x (i64 mtimeNs | u16 pathLength | path)
 * sorted by path bytes.
 */
const FILE_TIMES_VERSION = 1;

export function encodeFileTimes(times: ReadonlyMap<string, bigint>): Buffer {
  const entries = [...times].sort(([a], [b]) => compareUtf8(a, b));
  const lengths = entries.map(([path]) => Buffer.byteLength(path, 'utf8'));
  // One allocation for the whole blob: a commit of 12,000 files made 24,000 small buffers before.
  const out = Buffer.allocUnsafe(lengths.reduce((sum, length) => sum + 10 + length, 5));
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength); // its BigInt setter is a V8 builtin
  let at = out.writeUInt8(FILE_TIMES_VERSION, 0);
  at = out.writeUInt32LE(entries.length, at);
  entries.forEach(([path, mtimeNs], index) => {
    view.setBigInt64(at, mtimeNs, true);
    at = out.writeUInt16LE(lengths[index]!, at + 8);
    at += out.write(path, at, 'utf8');
  });
  return out;
}

export function decodeFileTimes(bytes: Buffer): Map<string, bigint> {
  const fail = (what: string): never => {
    throw new CorruptionError('CORRUPT_OBJECT', `file times: ${what}`);
  };
  if (bytes.length < 5 || bytes.readUInt8(0) !== FILE_TIMES_VERSION) fail('bad header');
  const count = bytes.readUInt32LE(1);
  const times = new Map<string, bigint>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 5;
  for (let i = 0; i < count; i++) {
    if (at + 10 > bytes.length) fail('truncated');
    const mtimeNs = view.getBigInt64(at, true);
    const length = bytes.readUInt16LE(at + 8);
    at += 10;
    if (at + length > bytes.length) fail('truncated path');
    times.set(bytes.subarray(at, at + length).toString('utf8'), mtimeNs);
    at += length;
  }
  if (at !== bytes.length) fail('trailing bytes');
  return times;
}

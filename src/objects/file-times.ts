import { CorruptionError } from '../core/errors.js';

/**
 * Modification times of a commit's files, kept apart from the trees so that identical content still
 * has identical tree ids. Encoding: u8 version(1) | u32 count | count x (i64 mtimeNs | u16 pathLength | path)
 * sorted by path bytes.
 */
const FILE_TIMES_VERSION = 1;

export function encodeFileTimes(times: ReadonlyMap<string, bigint>): Buffer {
  const entries = [...times].sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  const parts: Buffer[] = [];
  const header = Buffer.alloc(5);
  header.writeUInt8(FILE_TIMES_VERSION, 0);
  header.writeUInt32LE(entries.length, 1);
  parts.push(header);
  for (const [path, mtimeNs] of entries) {
    const name = Buffer.from(path, 'utf8');
    const record = Buffer.alloc(10);
    record.writeBigInt64LE(mtimeNs, 0);
    record.writeUInt16LE(name.length, 8);
    parts.push(record, name);
  }
  return Buffer.concat(parts);
}

export function decodeFileTimes(bytes: Buffer): Map<string, bigint> {
  const fail = (what: string): never => {
    throw new CorruptionError('CORRUPT_OBJECT', `file times: ${what}`);
  };
  if (bytes.length < 5 || bytes.readUInt8(0) !== FILE_TIMES_VERSION) fail('bad header');
  const count = bytes.readUInt32LE(1);
  const times = new Map<string, bigint>();
  let at = 5;
  for (let i = 0; i < count; i++) {
    if (at + 10 > bytes.length) fail('truncated');
    const mtimeNs = bytes.readBigInt64LE(at);
    const length = bytes.readUInt16LE(at + 8);
    at += 10;
    if (at + length > bytes.length) fail('truncated path');
    times.set(bytes.subarray(at, at + length).toString('utf8'), mtimeNs);
    at += length;
  }
  if (at !== bytes.length) fail('trailing bytes');
  return times;
}

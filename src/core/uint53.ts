/**
 * A u64 little-endian field that holds a size (always below 2^53), written and read as two u32
 * halves: Buffer's BigInt methods cost several times more, which shows where every staged file or
 * tree entry has one (12,000 of them per add or commit of a small tree).
 */
export function writeUint53LE(out: Buffer, value: number, at: number): void {
  out.writeUInt32LE(value % 2 ** 32, at);
  out.writeUInt32LE(Math.floor(value / 2 ** 32), at + 4);
}

export function readUint53LE(bytes: Buffer, at: number): number {
  return bytes.readUInt32LE(at) + bytes.readUInt32LE(at + 4) * 2 ** 32;
}

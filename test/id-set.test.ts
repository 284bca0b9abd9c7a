import { describe, expect, it } from 'vitest';
import { IdSet } from '../src/core/id-set.js';
import { hashBytes } from '../src/core/hash.js';

describe('IdSet', () => {
  it('holds 100,000 ids through many growths, tells them from others, and keeps the all-zero id aside', () => {
    const set = new IdSet();
    const ids = Array.from({ length: 100_000 }, (_, index) => hashBytes(Buffer.from(`id ${index}`)));
    for (const id of ids) expect(set.add(id)).toBe(true);
    // An id in the middle of a larger buffer (not word-aligned) is the same id.
    const unaligned = Buffer.alloc(40);
    ids[5]!.copy(unaligned, 3);
    expect(set.add(unaligned.subarray(3, 35))).toBe(false);
    expect(set.size).toBe(100_000);
    for (const id of ids) expect(set.has(id)).toBe(true);
    for (let index = 100_000; index < 110_000; index++) expect(set.has(hashBytes(Buffer.from(`id ${index}`)))).toBe(false);
    // Ids sharing their first four bytes (the slot) are told apart by the next twelve.
    const twin = Buffer.from(ids[7]!);
    twin[15] ^= 1;
    expect(set.has(twin)).toBe(false);
    expect(set.add(twin)).toBe(true);
    expect(set.has(ids[7]!)).toBe(true);
    const zero = Buffer.alloc(32);
    zero[20] = 1; // beyond the 16 bytes kept: the same key as all zeros
    expect(set.has(zero)).toBe(false);
    zero[20] = 0;
    expect(set.has(zero)).toBe(false);
    expect(set.add(zero)).toBe(true);
    expect(set.add(zero)).toBe(false);
    expect(set.size).toBe(100_002);
    expect(() => set.add(Buffer.alloc(31))).toThrow(/31 bytes/);
  });
});

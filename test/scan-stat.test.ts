import { lstatSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// The compiled module (`npm test` builds first).
import { msFromNs } from '../dist/engine/worktree/scanner.js';
import { run } from './helpers.js';

/**
 * The scan compares staged nanosecond times with the millisecond numbers of a plain lstat: the
 * conversion must give exactly the number Node computes, or every file would look changed (or none).
 */
describe('scan stat data', () => {
  it('msFromNs gives, for any file, the mtime and ctime numbers a plain lstat reports', async () => {
    const paths = readdirSync('/usr/include')
      .slice(0, 300)
      .map((name) => join('/usr/include', name));
    const directory = mkdtempSync(join(tmpdir(), 'store-scan-stat-'));
    try {
      // Times with nanoseconds that a double of milliseconds cannot hold exactly.
      for (let i = 0; i < 50; i++) {
        const path = join(directory, `f${i}`);
        writeFileSync(path, `${i}`);
        // biome-ignore lint/correctness/noPrecisionLoss: the point is a time a double cannot hold
        utimesSync(path, 1_700_000_000.123456789 + i * 0.000001337, 1_234_567_890.987654321 + i * 0.000777);
        // Every other file gets a time before 1970, whose timespec has negative seconds (utimes in
        // Node takes a negative number as "now"; touch takes it with nanoseconds).
        if (i % 2 === 1) await run('touch', ['-m', '-d', `@-${12_345 + i}.${String(123_456_789 + i * 7919).padStart(9, '0')}`, path], { cwd: directory });
        paths.push(path);
      }
      expect(paths.length).toBeGreaterThan(50);
      expect(paths.filter((path) => lstatSync(path, { bigint: true }).mtimeNs < 0n)).toHaveLength(25);
      for (const path of paths) {
        const exact = lstatSync(path, { bigint: true });
        const plain = lstatSync(path);
        expect(msFromNs(exact.mtimeNs)).toBe(plain.mtimeMs);
        expect(msFromNs(exact.ctimeNs)).toBe(plain.ctimeMs);
        expect(Number(exact.ino)).toBe(plain.ino);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('times a microsecond apart stay apart', () => {
    const base = 1_763_700_000_123_456_789n;
    expect(msFromNs(base + 1000n)).not.toBe(msFromNs(base));
    // biome-ignore lint/correctness/noPrecisionLoss: the very double Node computes for this time
    expect(msFromNs(base)).toBe(1_763_700_000_123.456789);
  });
});

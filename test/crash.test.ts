import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blake3 } from '@napi-rs/blake-hash';
import { describe, expect, it } from 'vitest';
import { verifyRepository } from '../src/engine/maintenance/verify.js';
import { resolveGetTarget, streamTarget } from '../src/engine/restore/stream.js';
import { Repository } from '../src/repository/repository.js';
import { STORE_BIN, pseudoRandomBytes, store, storeOk, temporaryDirectory } from './helpers.js';

// CI runs 50 seeded iterations; `npm run test:crash` runs many more (STORE_CRASH_ITERATIONS).
const ITERATIONS = Number(process.env.STORE_CRASH_ITERATIONS ?? 50);
/** An iteration took ~1.6 s here (50 in 80 s); the default 120 s limit stopped `npm run test:crash` at ~75. */
const ITERATION_TIMEOUT_MS = 6_000;
const SEED = Number(process.env.STORE_CRASH_SEED ?? 20261121);

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the CLI and SIGKILLs it after `delayMs` (if it is still running). */
function runAndKill(args: string[], cwd: string, delayMs: number): Promise<{ killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [STORE_BIN, ...args], { cwd, stdio: 'ignore', env: { ...process.env, STORE_AUTHOR: 'crash' } });
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL' });
    });
  });
}

describe('crash consistency under SIGKILL', () => {
  it(
    `survives ${ITERATIONS} seeded kills of add and commit (seed ${SEED})`,
    async () => {
      const random = prng(SEED);
      const work = temporaryDirectory();
      const names = Array.from({ length: 12 }, (_, i) => `dir${i % 3}/file${i}.bin`);
      const writeFile = (name: string): void => {
        const size = Math.floor(random() * 400 * 1024);
        const path = join(work, name);
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(path, pseudoRandomBytes(size, Math.floor(random() * 2 ** 31)));
      };
      for (const name of names) writeFile(name);
      writeFileSync(join(work, 'big.bin'), pseudoRandomBytes(12 * 1024 * 1024, 1));
      await storeOk(['init'], { cwd: work });
      await storeOk(['add', '-A'], { cwd: work });
      await storeOk(['commit', '-m', 'base'], { cwd: work });

      const expected = new Map<string, Map<string, string>>(); // commit -> path -> file id
      const snapshotWorkTree = (): Map<string, string> =>
        new Map([...names, 'big.bin'].map((name) => [name, blake3(readFileSync(join(work, name))).toString('hex')]));
      const headCommit = (): string => readFileSync(join(work, '.store/refs/heads/main'), 'utf8').trim();
      expected.set(headCommit(), snapshotWorkTree());
      let kills = 0;

      for (let iteration = 0; iteration < ITERATIONS; iteration++) {
        for (let k = 0; k < 3; k++) writeFile(names[Math.floor(random() * names.length)]!);
        if (random() < 0.3) {
          const big = readFileSync(join(work, 'big.bin'));
          big.writeUInt32LE(iteration, Math.floor(random() * (big.length - 4)));
          writeFileSync(join(work, 'big.bin'), big);
        }
        // Mostly add and commit; sometimes gc, after a change that leaves garbage behind.
        const choice = random();
        const command = choice < 0.45 ? ['add', '-A'] : choice < 0.85 ? ['commit', '-m', `iteration ${iteration}`] : ['gc'];
        if (command[0] !== 'add') await storeOk(['add', '-A'], { cwd: work });
        if (command[0] === 'gc') {
          writeFile(names[0]!);
          await storeOk(['add', '-A'], { cwd: work });
          writeFile(names[0]!);
          await storeOk(['add', '-A'], { cwd: work }); // the content staged just before, never committed, is garbage
        }
        const delayMs = Math.floor(random() * (command[0] === 'add' ? 700 : 400));
        const { killed } = await runAndKill(command, work, delayMs);
        if (killed) kills++;

        // After the kill: the repository verifies, and every earlier commit restores byte-exact.
        const repo = Repository.open({ repoPath: work });
        try {
          const report = await verifyRepository(repo, { readData: false });
          expect(
            report.findings.filter((finding) => finding.severity === 'damage'),
            `iteration ${iteration}`,
          ).toEqual([]);
          expect(report.affected, `iteration ${iteration}`).toEqual([]);
          for (const [commit, files] of expected) {
            const [path, fileId] = [...files][Math.floor(random() * files.size)]!;
            const target = resolveGetTarget(repo, path, { at: commit, cwd: work });
            expect(target.kind === 'file' && target.fileId.toString('hex'), `iteration ${iteration}: ${path} at ${commit}`).toBe(fileId);
            let bytes = 0;
            await streamTarget(repo, target, async (chunk) => {
              bytes += chunk.length;
            });
            expect(bytes).toBe(target.sizeBytes);
          }
        } finally {
          repo.close();
        }

        // Re-running completes (a commit that had finished before the kill leaves nothing to commit).
        await storeOk(['add', '-A'], { cwd: work });
        const commit = await store(['commit', '-m', `iteration ${iteration} again`], { cwd: work });
        expect([0, 1], commit.stderr).toContain(commit.status);
        if (commit.status === 1) expect(commit.stderr).toContain('nothing to commit');
        expected.set(headCommit(), snapshotWorkTree());
      }
      expect(kills).toBeGreaterThan(ITERATIONS / 4);
      const final = await store(['verify', '--read-data'], { cwd: work });
      expect(final.status, final.stderr).toBe(0);
      rmSync(work, { recursive: true, force: true });
    },
    ITERATIONS * ITERATION_TIMEOUT_MS,
  );
});

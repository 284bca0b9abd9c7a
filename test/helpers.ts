import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';

export const STORE_BIN = resolve(import.meta.dirname, '..', 'bin', 'run.js');

const created: string[] = [];
afterAll(() => {
  for (const directory of created) rmSync(directory, { recursive: true, force: true });
});

export function temporaryDirectory(prefix = 'store-test-'): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  created.push(directory);
  return directory;
}

export interface RunResult {
  status: number;
  stdout: Buffer;
  stderr: string;
  text: string;
}

/** Runs the built CLI (`npm test` builds first) as a user would. */
export function store(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): RunResult {
  const child = spawnSync(process.execPath, [STORE_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, STORE_AUTHOR: 'tester', ...options.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (child.error) throw child.error;
  return { status: child.status ?? -1, stdout: child.stdout, stderr: child.stderr.toString('utf8'), text: child.stdout.toString('utf8') };
}

/** Like `store`, but fails the test unless the command exits 0. */
export function storeOk(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): RunResult {
  const result = store(args, options);
  if (result.status !== 0) {
    throw new Error(`store ${args.join(' ')} exited ${result.status}\nstdout: ${result.text}\nstderr: ${result.stderr}`);
  }
  return result;
}

export function storeJson<T = any>(args: readonly string[], options: { cwd: string }): T {
  return JSON.parse(storeOk([...args, '--json'], options).text) as T;
}

/** Deterministic bytes that neither compress nor repeat (xorshift32), so dedup and sizes are exact. */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let state = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out.writeUInt32LE(state, i);
  }
  for (; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state & 0xff;
  }
  return out;
}

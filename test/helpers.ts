import { spawn } from 'node:child_process';
import { type BigIntStats, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** A new repository in a temporary directory holding `files`, all added and committed ('first'). */
export async function repoWith(files: Record<string, string | Buffer>): Promise<string> {
  const work = temporaryDirectory();
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  await storeOk(['init'], { cwd: work });
  await storeOk(['add', '-A'], { cwd: work });
  await storeOk(['commit', '-m', 'first'], { cwd: work });
  return work;
}

export interface RunResult {
  status: number;
  stdout: Buffer;
  stderr: string;
  text: string;
  signal?: NodeJS.Signals | null;
}

/**
 * Runs the built CLI (`npm test` builds first) as a user would, asynchronously: a synchronous spawn
 * blocks vitest's worker, which then misses its RPC deadline on a busy machine and fails the run.
 */
export function store(args: readonly string[], options: { cwd: string; env?: Record<string, string>; input?: Buffer | string }): Promise<RunResult> {
  return run(process.execPath, [STORE_BIN, ...args], options);
}

/** Runs any program asynchronously, collecting its output. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; input?: Buffer | string },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, STORE_AUTHOR: 'tester', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    if (options.input !== undefined) child.stdin!.end(options.input);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const out = Buffer.concat(stdout);
      resolve({ status: code ?? (signal ? 128 : -1), signal, stdout: out, stderr: Buffer.concat(stderr).toString('utf8'), text: out.toString('utf8') });
    });
  });
}

/** Runs the CLI as the user nobody: root reads any file whatever its mode. */
export function runAsNobody(args: string[], cwd: string): Promise<RunResult> {
  return run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, STORE_BIN, ...args], { cwd });
}

/** Like `store`, but fails the test unless the command exits 0. */
export async function storeOk(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<RunResult> {
  const result = await store(args, options);
  if (result.status !== 0) {
    throw new Error(`store ${args.join(' ')} exited ${result.status}\nstdout: ${result.text}\nstderr: ${result.stderr}`);
  }
  return result;
}

export async function storeJson<T = any>(args: readonly string[], options: { cwd: string }): Promise<T> {
  return JSON.parse((await storeOk([...args, '--json'], options)).text) as T;
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

/** A seeded generator of integers in [0, n): the same sequence on every run. */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
}

/**
 * docs/FORMAT.md's record that a file was checked whole (staging-checked, directory-cache-checked):
 * magic, version, the file's device, inode, size, mtime and ctime (ns), its trailing checksum.
 */
export function checkedStampRecord(stats: BigIntStats, file: Buffer): Buffer {
  const head = Buffer.alloc(12 + 5 * 8);
  head.write('STCHKD\0\0', 0, 'latin1');
  head.writeUInt32LE(1, 8);
  [stats.dev, stats.ino, stats.size, stats.mtimeNs, stats.ctimeNs].forEach((value, index) => head.writeBigUInt64LE(value, 12 + index * 8));
  return Buffer.concat([head, file.subarray(file.length - 32)]);
}

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

const SCRIPT = resolve(import.meta.dirname, 'ceph.sh');

function script(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`ceph.sh ${args.join(' ')} exited ${code}: ${err}`))));
  });
}

/**
 * Starts the S3 server the remote tests run against (a one-node Ceph cluster with its RADOS Gateway,
 * see ceph.sh) before any test file, and stops exactly its daemons after the last. With
 * STORE_TEST_S3_ENDPOINT set, that server is used instead and nothing is started.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const provide = (): void =>
    project.provide('s3', {
      endpoint: process.env.STORE_TEST_S3_ENDPOINT!,
      accessKeyId: process.env.AWS_ACCESS_KEY_ID!,
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY!,
    });
  if (process.env.STORE_TEST_S3_ENDPOINT !== undefined) {
    provide();
    return undefined;
  }
  const directory = mkdtempSync(join(tmpdir(), 'store-ceph-'));
  const printed = await script(['start', directory]);
  for (const line of printed.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) process.env[match[1]!] = match[2]!;
  }
  provide();
  return async () => {
    await script(['stop', directory]);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  }
}

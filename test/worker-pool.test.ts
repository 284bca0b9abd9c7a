import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';

const DIST = resolve(import.meta.dirname, '..', 'dist');

describe('worker threads', () => {
  // piscina loads a thread's tasks with require(); an ES module would go through Node's require(esm),
  // which aborts the process when a thread is terminated while its module graph is instantiated
  // (seen once in CI: `store add` closed its pool as the threads were still starting). The tasks are
  // therefore bundled as CommonJS (build-tools/bundle.mjs): this loads them with require(esm) turned
  // off, which fails for an ES module.
  it('load their tasks from a CommonJS file, which require() loads without require(esm)', async () => {
    const script = `const tasks = require(${JSON.stringify(resolve(DIST, 'workers', 'tasks.cjs'))});
      console.log(['compress', 'readBatch', 'restoreFiles', 'unpackChunks'].map((name) => typeof tasks[name]).join(' '));`;
    const result = await run(process.execPath, ['--no-experimental-require-module', '-e', script], { cwd: DIST });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.text.trim()).toBe('function function function function');
  });

  it('a pool closed at any moment of its start-up, 200 times, neither crashes nor hangs', async () => {
    const script = `const { WorkerPool } = await import(${JSON.stringify(resolve(DIST, 'workers', 'pool.js'))});
      let closed = 0;
      for (let i = 0; i < 200; i++) {
        const pool = await WorkerPool.start(2);
        await new Promise((done) => setTimeout(done, (i * 7) % 60));
        if (i % 2 === 1) await pool.compress([new Uint8Array(1000)], 3);
        await pool.close();
        closed++;
      }
      console.log(closed);`;
    const result = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: DIST });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.text.trim()).toBe('200');
  }, 120_000);
});

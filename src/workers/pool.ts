import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { lazyRequire } from '../core/lazy-require.js';
import type { CompressTask, ReadBatchResult, ReadBatchTask, RestoreFilesResult, RestoreFilesTask, UnpackResult, UnpackTask } from './tasks.js';

// The tasks bundled as CommonJS (dist/workers/tasks.cjs, by build-tools/bundle.mjs: why there), found
// alike from this module in dist/workers and from the CLI bundle in dist/bundle.
const TASKS_FILE = fileURLToPath(new URL('../workers/tasks.cjs', import.meta.url));

export function defaultJobs(): number {
  return availableParallelism();
}

/**
 * Workers allocate little on their heaps (bytes travel in transferred or reused buffers), but V8 grows
 * a thread's young generation as for any program: capped, checking out the 12,000-file tree peaked
 * ~12 MB lower, and adding it took as long (bench/compare-builds.js).
 */
const WORKER_YOUNG_GENERATION_MB = 4;

// Loaded on first use: commands that never start threads spare its start-up time.
const piscina = lazyRequire<typeof import('piscina')>('piscina');

/** One pool of worker threads per command, shared by compression and small-file reading. */
export class WorkerPool {
  private constructor(
    readonly threads: number,
    private readonly pool: Piscina,
  ) {}

  static async start(threads: number): Promise<WorkerPool> {
    const { Piscina } = piscina();
    const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };
    return new WorkerPool(threads, new Piscina({ filename: TASKS_FILE, minThreads: threads, maxThreads: threads, idleTimeout: 1000, resourceLimits }));
  }

  /** Compresses frames, whose ArrayBuffers move to the worker and come back holding the results. */
  compress(raws: Uint8Array[], level: number): Promise<Uint8Array[]> {
    const task: CompressTask = { raws, level };
    return this.pool.run(task, { name: 'compress', transferList: raws.map((raw) => raw.buffer as ArrayBuffer) }) as Promise<Uint8Array[]>;
  }

  readBatch(task: ReadBatchTask): Promise<ReadBatchResult> {
    return this.pool.run(task, { name: 'readBatch', transferList: [task.buffer] }) as Promise<ReadBatchResult>;
  }

  restoreFiles(task: RestoreFilesTask): Promise<RestoreFilesResult> {
    return this.pool.run(task, { name: 'restoreFiles' }) as Promise<RestoreFilesResult>;
  }

  unpackChunks(task: UnpackTask): Promise<UnpackResult> {
    const transferList = [task.stored.buffer as ArrayBuffer, task.out.buffer as ArrayBuffer];
    return this.pool.run(task, { name: 'unpackChunks', transferList }) as Promise<UnpackResult>;
  }

  private closing: Promise<void> | undefined;

  /** Stops the threads; a second call waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.pool.destroy();
    return this.closing;
  }
}

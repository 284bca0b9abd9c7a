import type { Worker } from 'node:worker_threads';
import type { Blake3Hasher } from '@napi-rs/blake-hash';
import { lazyRequire } from '../core/lazy-require.js';
import { fileURLToPath } from 'node:url';
import { digestOf, HASH_BYTES, hashBytes, newHasher } from '../core/hash.js';

// Loaded on first use: node:worker_threads costs ~2 ms of every start, and only large files need a hashing thread.
const workerThreads = lazyRequire<typeof import('node:worker_threads')>('node:worker_threads');

/**
 * Hashes the windows of a content stream: the ids of the chunks each window completes, and along
 * the way the whole content's BLAKE3 (the file id). Windows are handed over in order and answered in
 * order, each with the window back: a window handed over is not the caller's until then (a thread
 * takes the memory over, so nothing is copied; it must own its whole ArrayBuffer).
 */
export interface WindowHasher {
  /**
   * `fresh` is the part of the window not hashed into the content before (the window minus the
   * chunk carried over from the previous one); `spans` are [offset, length] pairs of chunks in `window`.
   * With `skipContent`, the content hash is not fed (a content of one chunk has that chunk's id).
   */
  hashWindow(window: Buffer, fresh: { start: number; end: number }, spans: Uint32Array, skipContent: boolean): Promise<HashedWindow>;
  /** The content's id, and a fresh start for the next content. */
  contentId(): Promise<Buffer>;
  /** Drops a content left half hashed (after an error), so that the next one starts afresh. */
  reset(): void;
}

export interface HashedWindow {
  /** The chunk ids, 32 bytes each, in the order of the spans. */
  ids: Buffer;
  /** The window, the caller's again. */
  window: Buffer;
}

/** Hashes on the calling thread: nothing to wait for, no thread to start (small files, --jobs 0). */
export class InlineWindowHasher implements WindowHasher {
  /**
   * One for every file this hasher sees, reset between them (see digestOf: hashers are native objects).
   * Made on first use: a hasher made when its module loads loaded the BLAKE3 addon at every start, even
   * for commands that hash nothing.
   */
  private contentHasher: Blake3Hasher | undefined;

  private get content(): Blake3Hasher {
    return (this.contentHasher ??= newHasher());
  }

  hashWindow(window: Buffer, fresh: { start: number; end: number }, spans: Uint32Array, skipContent: boolean): Promise<HashedWindow> {
    if (!skipContent) this.content.update(window.subarray(fresh.start, fresh.end));
    return Promise.resolve({ ids: hashSpans(window, spans), window });
  }

  contentId(): Promise<Buffer> {
    const id = digestOf(this.content);
    this.content.reset();
    return Promise.resolve(id);
  }

  reset(): void {
    this.content.reset();
  }
}

function hashSpans(window: Uint8Array, spans: Uint32Array): Buffer {
  const bytes = Buffer.from(window.buffer, window.byteOffset, window.byteLength);
  const ids = Buffer.from(new ArrayBuffer((spans.length / 2) * HASH_BYTES));
  for (let i = 0; i < spans.length; i += 2) hashBytes(bytes.subarray(spans[i], spans[i]! + spans[i + 1]!)).copy(ids, (i / 2) * HASH_BYTES);
  return ids;
}

/** The messages between ThreadWindowHasher and its thread (window-hasher-thread.ts). */
export type HashWindowRequest =
  | { kind: 'window'; window: Uint8Array; freshStart: number; freshEnd: number; spans: Uint32Array; skipContent: boolean }
  | { kind: 'contentId' }
  /** Unanswered: drops a half-hashed content. */
  | { kind: 'reset' };

export type HashWindowReply = { ids: Uint8Array; window: Uint8Array } | { contentId: Uint8Array } | { error: string };

const THREAD_FILE = fileURLToPath(new URL('../workers/window-hasher-thread.js', import.meta.url));

/**
 * Hashes on a thread of its own, so that the calling thread reads and finds the chunk boundaries of
 * the next window meanwhile: hashing is a third of the work of streaming a large file that is mostly
 * stored already. Windows travel as transferred memory (shared memory would avoid the hand-over, but
 * V8 copies out of a SharedArrayBuffer several times slower, and every chunk is copied into a frame).
 */
export class ThreadWindowHasher implements WindowHasher {
  private readonly waiting: { resolve: (reply: HashedWindow | Buffer) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: HashWindowReply) => {
      const next = this.waiting.shift();
      if ('error' in reply) next?.reject(new Error(`hashing thread: ${reply.error}`));
      else if ('contentId' in reply) next?.resolve(toBuffer(reply.contentId));
      else next?.resolve({ ids: toBuffer(reply.ids), window: toBuffer(reply.window) });
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`hashing thread exited (${code})`)));
  }

  static start(): ThreadWindowHasher {
    return new ThreadWindowHasher(new (workerThreads().Worker)(THREAD_FILE));
  }

  hashWindow(window: Buffer, fresh: { start: number; end: number }, spans: Uint32Array, skipContent: boolean): Promise<HashedWindow> {
    if (window.byteOffset !== 0 || window.byteLength !== window.buffer.byteLength) throw new Error('a window handed to a thread must own its ArrayBuffer');
    const request: HashWindowRequest = { kind: 'window', window, freshStart: fresh.start, freshEnd: fresh.end, spans, skipContent };
    return this.request(request, [window.buffer as ArrayBuffer]) as Promise<HashedWindow>;
  }

  contentId(): Promise<Buffer> {
    return this.request({ kind: 'contentId' }, []) as Promise<Buffer>;
  }

  reset(): void {
    if (!this.failure) this.worker.postMessage({ kind: 'reset' } satisfies HashWindowRequest);
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private request(message: HashWindowRequest, transfer: ArrayBuffer[]): Promise<HashedWindow | Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

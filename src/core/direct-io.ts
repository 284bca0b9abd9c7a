import { constants, openSync } from 'node:fs';
import { errnoCode } from './errors.js';
import { fsPath } from './path-bytes.js';

// Writing around the page cache (O_DIRECT): on these VMs a page that was free for a while costs the
// kernel dearly to hand out again, so writing 2 GiB through the page cache took 0.9-6.3 s (median
// 4.9 CPU-s), and with O_DIRECT ~1 s (bench/write-paths.js).
// O_DIRECT wants memory, file offsets and lengths aligned to the device's logical block size:
// whole pages cover every Linux block device.

/** Size of each O_DIRECT write: large enough that the disk, not the system call, sets the pace. */
const BUFFER_BYTES = 2 * 1024 * 1024;

/**
 * Buffers that writers gave back, for the next writer (one per 128 MiB pack in a large add): new
 * pages cost what the page cache's do, and an old buffer goes only when the garbage collector runs.
 */
const spareBuffers: Buffer[] = [];

/**
 * Page-aligned memory: V8 maps a WebAssembly memory on its own pages, where Node's allocator promises
 * no alignment (and mmap-io's addon cannot load in a worker thread, where checkout restores). Should
 * an engine ever place it otherwise, O_DIRECT refuses the write (EINVAL) and writeDirect falls back.
 */
function pageAlignedBuffer(): Buffer {
  const pages = BUFFER_BYTES / WASM_PAGE_BYTES;
  return spareBuffers.pop() ?? Buffer.from(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer);
}

const WASM_PAGE_BYTES = 64 * 1024;

// The global exists in Node; this project compiles without the DOM's type library, which declares it.
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };

/**
 * A second descriptor of an open file that writes around the page cache, or undefined
 * where there is none: not Linux, a file system without O_DIRECT (tmpfs before Linux 6.6), or a
 * mode (umask) that lets no second descriptor write.
 */
export function openDirectAlso(path: string): number | undefined {
  if (constants.O_DIRECT === undefined) return undefined;
  try {
    return openSync(fsPath(path), constants.O_WRONLY | constants.O_DIRECT);
  } catch (error) {
    if (errnoCode(error) === 'EINVAL' || errnoCode(error) === 'EACCES') return undefined;
    throw error;
  }
}

/** One buffer fills while the other is written: a 2 MiB write outlasts the copy that fills one. */
const BUFFERS_PER_WRITER = 2;

type PositionalWrite = (fd: number, bytes: Uint8Array, position: number) => Promise<void>;

/**
 * Writes a stream of byte runs, in order, into a file through an O_DIRECT descriptor: the runs are
 * copied into page-aligned buffers, and each full buffer is written at an aligned offset (on
 * libuv's pool, `writeAt`) while the next one fills. The last, partial buffer goes through the
 * ordinary descriptor, so the file ends at its exact length. Memory: BUFFERS_PER_WRITER × 2 MiB,
 * handed on to the next writer once this one is done.
 */
export class DirectWriter {
  private readonly free: Buffer[] = [];
  private readonly owned: Buffer[] = [];
  private readonly waitingForBuffer: ((buffer: Buffer) => void)[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private current: Buffer | undefined;
  private filled = 0;
  /** File offset of `current`'s first byte: always a multiple of the buffer size. */
  private position = 0;
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private directFd: number,
    private readonly bufferedFd: number,
    private readonly writeAt: PositionalWrite,
  ) {}

  /** Resolves once `bytes` is copied (the caller may reuse it then); calls keep their order. */
  write(bytes: Uint8Array): Promise<void> {
    const copied = this.queue.then(() => this.copyIn(bytes));
    this.queue = copied.catch(() => undefined);
    return copied;
  }

  /** Waits for every write, then writes the tail: the file then holds every byte given, nothing more. */
  async finish(): Promise<void> {
    await this.queue;
    await this.settle();
    if (this.failure !== undefined) throw this.failure;
    if (this.current !== undefined && this.filled > 0) await this.writeAt(this.bufferedFd, this.current.subarray(0, this.filled), this.position);
    this.handBuffersOn();
  }

  /** Stops: runs not yet copied are dropped, and the writes still running are waited for (none may land after the file is deleted). */
  async abort(): Promise<void> {
    this.failure ??= new Error('write aborted');
    await this.queue;
    await this.settle();
    this.handBuffersOn();
  }

  private async settle(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private handBuffersOn(): void {
    spareBuffers.push(...this.owned.splice(0));
    this.current = undefined;
    this.free.length = 0;
  }

  private async copyIn(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      if (this.failure !== undefined) throw this.failure;
      this.current ??= await this.takeBuffer();
      if (this.failure !== undefined) throw this.failure; // it may have failed while this waited
      const count = Math.min(bytes.length - offset, BUFFER_BYTES - this.filled);
      this.current.set(bytes.subarray(offset, offset + count), this.filled);
      this.filled += count;
      offset += count;
      if (this.filled === BUFFER_BYTES) this.writeCurrent();
    }
  }

  private writeCurrent(): void {
    const buffer = this.current!;
    const at = this.position;
    this.current = undefined;
    this.filled = 0;
    this.position += BUFFER_BYTES;
    const written = this.writeDirect(buffer, at).then(
      () => this.giveBack(buffer),
      (error: unknown) => {
        this.failure ??= error;
        this.giveBack(buffer); // a write waiting for a buffer must wake to see the failure
      },
    );
    this.inFlight.add(written);
    void written.finally(() => this.inFlight.delete(written));
  }

  /** A file system may take O_DIRECT at open and refuse it at write (EINVAL): then the rest goes through the cache. */
  private async writeDirect(buffer: Buffer, at: number): Promise<void> {
    try {
      await this.writeAt(this.directFd, buffer, at);
    } catch (error) {
      if (errnoCode(error) !== 'EINVAL' || this.directFd === this.bufferedFd) throw error;
      this.directFd = this.bufferedFd;
      await this.writeAt(this.bufferedFd, buffer, at);
    }
  }

  private takeBuffer(): Promise<Buffer> {
    const spare = this.free.pop();
    if (spare !== undefined) return Promise.resolve(spare);
    if (this.owned.length < BUFFERS_PER_WRITER) {
      const buffer = pageAlignedBuffer();
      this.owned.push(buffer);
      return Promise.resolve(buffer);
    }
    return new Promise((resolve) => this.waitingForBuffer.push(resolve));
  }

  private giveBack(buffer: Buffer): void {
    const waiter = this.waitingForBuffer.shift();
    if (waiter !== undefined) waiter(buffer);
    else this.free.push(buffer);
  }
}

import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { errnoCode, StoreError } from '../core/errors.js';
import { temporarySibling } from '../core/fs-atomic.js';
import { undoIfAbandoned } from '../core/abandon.js';

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface LockOptions {
  /** How long to wait for another writer before giving up. */
  timeoutMs: number;
  /** Told when a lock left by a dead process is taken over. */
  onStaleLock?: (owner: LockOwner) => void;
}

const RETRY_INTERVAL_MS = 50;

/**
 * One writer at a time, across processes: the lock is a file created with O_EXCL that names its
 * owner. A lock whose owner process is gone (same host) is taken over automatically.
 */
export class WriterLock {
  private held = false;
  private forget: (() => void) | undefined;

  constructor(
    private readonly path: string,
    private readonly fileMode = 0o600,
  ) {}

  acquire(options: LockOptions): void {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      if (this.tryCreate()) return;
      const owner = this.readOwner();
      if (owner === undefined) continue; // released (or half-written) between our attempts
      if (owner.host === hostname() && !isProcessAlive(owner.pid)) {
        options.onStaleLock?.(owner);
        this.removeIfUnchanged(owner);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new StoreError('LOCKED', `repository is locked by PID ${owner.pid} on ${owner.host} since ${owner.since}`, {
          hint: 'another store command is writing; wait for it to finish',
        });
      }
      sleep(RETRY_INTERVAL_MS);
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.forget?.();
    try {
      unlinkSync(this.path);
    } catch {
      // Already removed: nothing to release.
    }
  }

  /** Writes the owner to a temporary file and hard-links it into place: the lock appears whole or not at all. */
  private tryCreate(): boolean {
    const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    const temporary = temporarySibling(this.path);
    const fd = openSync(temporary, 'wx', this.fileMode);
    try {
      writeSync(fd, JSON.stringify(owner));
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temporary, this.path);
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return false;
      throw error;
    } finally {
      unlinkSync(temporary);
    }
    this.held = true;
    this.forget = undoIfAbandoned(() => this.release());
    return true;
  }

  private readOwner(): LockOwner | undefined {
    try {
      const owner = JSON.parse(readFileSync(this.path, 'utf8')) as LockOwner;
      return typeof owner.pid === 'number' ? owner : undefined;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      // Locks appear whole (see tryCreate), so an unparsable one is damaged: nobody can own it.
      return { pid: -1, host: hostname(), since: 'unknown' };
    }
  }

  private removeIfUnchanged(owner: LockOwner): void {
    const current = this.readOwner();
    if (current && current.pid === owner.pid && current.since === owner.since) {
      try {
        unlinkSync(this.path);
      } catch {
        // Someone else removed it first.
      }
    }
  }
}

function isProcessAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

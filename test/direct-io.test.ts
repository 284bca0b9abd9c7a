import { closeSync, existsSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectWriter, openDirectAlso } from '../src/core/direct-io.js';
import { DIRECT_WRITE_MIN_BYTES, writeAllAtAsync, writeFileAtomicFrom } from '../src/core/fs-atomic.js';
import { pseudoRandomBytes, temporaryDirectory } from './helpers.js';

const MiB = 1024 * 1024;

interface RecordedWrite {
  fd: number;
  position: number;
  length: number;
}

/** A file created as writeFileAtomicFrom creates it, with its O_DIRECT twin. */
function newFilePair(): { path: string; fd: number; directFd: number; close: () => void } {
  const path = join(temporaryDirectory('store-direct-'), 'out.bin');
  const fd = openSync(path, 'wx', 0o644);
  const directFd = openDirectAlso(path);
  // This machine's file systems (ext4, and tmpfs since Linux 6.6) all take O_DIRECT.
  expect(directFd).toBeTypeOf('number');
  return {
    path,
    fd,
    directFd: directFd!,
    close: () => {
      closeSync(fd);
      closeSync(directFd!);
    },
  };
}

/** Runs of awkward sizes: tiny, one short of a block, larger than a buffer, and random. */
function awkwardRuns(): Buffer[] {
  const sizes = [1, 4095, 2 * MiB + 3, 5 * MiB, 0, 17, 3 * MiB - 17];
  for (let i = 0; i < 20; i++) sizes.push((i * 7919 * 131) % (700 * 1024));
  return sizes.map((size, i) => pseudoRandomBytes(size, i + 1));
}

describe('DirectWriter', () => {
  it('writes runs of any size, in order, to the exact length: whole aligned blocks through O_DIRECT, the tail through the ordinary descriptor', async () => {
    const file = newFilePair();
    const writes: RecordedWrite[] = [];
    const recording = (fd: number, bytes: Uint8Array, position: number): Promise<void> => {
      writes.push({ fd, position, length: bytes.length });
      return writeAllAtAsync(fd, bytes, position);
    };
    const writer = new DirectWriter(file.directFd, file.fd, recording);
    const runs = awkwardRuns();
    // Not awaited one by one: calls must keep their order whatever settles first.
    await Promise.all(runs.map((run) => writer.write(run)));
    await writer.finish();
    file.close();

    const expected = Buffer.concat(runs);
    expect(statSync(file.path).size).toBe(expected.length);
    expect(readFileSync(file.path).equals(expected)).toBe(true);
    const direct = writes.filter((write) => write.fd === file.directFd);
    expect(direct.length).toBe(Math.floor(expected.length / (2 * MiB)));
    for (const write of direct) {
      expect(write.position % 4096).toBe(0);
      expect(write.length % 4096).toBe(0);
    }
    const tail = writes.filter((write) => write.fd === file.fd);
    expect(tail).toEqual([{ fd: file.fd, position: direct.length * 2 * MiB, length: expected.length % (2 * MiB) }]);
  });

  it('goes on through the ordinary descriptor when the file system refuses an O_DIRECT write (EINVAL)', async () => {
    const file = newFilePair();
    const fds: number[] = [];
    const refusing = (fd: number, bytes: Uint8Array, position: number): Promise<void> => {
      fds.push(fd);
      if (fd === file.directFd) return Promise.reject(Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' }));
      return writeAllAtAsync(fd, bytes, position);
    };
    const writer = new DirectWriter(file.directFd, file.fd, refusing);
    const data = pseudoRandomBytes(7 * MiB + 5, 99);
    await writer.write(data);
    await writer.finish();
    file.close();
    expect(readFileSync(file.path).equals(data)).toBe(true);
    expect(fds.filter((fd) => fd === file.directFd)).toHaveLength(1); // refused once, never tried again
  });

  it('fails every later write and finish with the first write error, and abort waits for the writes still running', async () => {
    const file = newFilePair();
    let started = 0;
    let running = 0;
    const failingSecond = async (fd: number, bytes: Uint8Array, position: number): Promise<void> => {
      const n = ++started;
      running++;
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (n === 2) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        await writeAllAtAsync(fd, bytes, position);
      } finally {
        running--;
      }
    };
    const writer = new DirectWriter(file.directFd, file.fd, failingSecond);
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => writer.write(pseudoRandomBytes(2 * MiB, i))));
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect((failure as PromiseRejectedResult).reason.code).toBe('EIO');
    await expect(writer.finish()).rejects.toMatchObject({ code: 'EIO' });
    const startedBeforeAbort = started;
    await writer.abort();
    expect(running).toBe(0);
    expect(started).toBe(startedBeforeAbort);
    await expect(writer.write(Buffer.alloc(10))).rejects.toMatchObject({ code: 'EIO' });
    file.close();
  });
});

describe('writeFileAtomicFrom, large files', () => {
  it('writes a file of DIRECT_WRITE_MIN_BYTES or more byte-exact, at its exact length', async () => {
    const directory = temporaryDirectory('store-direct-');
    const path = join(directory, 'big.bin');
    const runs = [...awkwardRuns(), pseudoRandomBytes(DIRECT_WRITE_MIN_BYTES, 7)];
    const expected = Buffer.concat(runs);
    await writeFileAtomicFrom(
      path,
      async (write) => {
        for (const run of runs) await write(run);
      },
      { expectedBytes: expected.length, durable: true },
    );
    expect(readFileSync(path).equals(expected)).toBe(true);
    expect(readdirSync(directory)).toEqual(['big.bin']);
  });

  it('leaves nothing behind, and no file, when the producer fails half-way', async () => {
    const directory = temporaryDirectory('store-direct-');
    const path = join(directory, 'big.bin');
    const failing = writeFileAtomicFrom(
      path,
      async (write) => {
        write(pseudoRandomBytes(9 * MiB, 3)).catch(() => undefined); // still being written when the producer fails
        throw Object.assign(new Error('chunk 1234 is corrupt'), { code: 'CORRUPT_OBJECT' });
      },
      { expectedBytes: 32 * MiB },
    );
    await expect(failing).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(directory)).toEqual([]);
  });
});

/**
 * Test-only fault injection, off unless STORE_FAULT_ENOSPC_AFTER_BYTES is set: then pack writes fail
 * with ENOSPC once that many bytes have been written by this process, as on a full disk. The crash
 * and disk-full tests use it to show that a failed write leaves the repository as it was.
 */
const limitText = process.env.STORE_FAULT_ENOSPC_AFTER_BYTES;
const limitBytes = limitText === undefined || limitText === '' ? undefined : Number(limitText);
let writtenBytes = 0;

export function checkInjectedDiskFull(bytesAboutToWrite: number): void {
  if (limitBytes === undefined) return;
  if (writtenBytes + bytesAboutToWrite > limitBytes) {
    const error = new Error('ENOSPC: no space left on device, write (injected)') as NodeJS.ErrnoException;
    error.code = 'ENOSPC';
    error.errno = -28;
    throw error;
  }
  writtenBytes += bytesAboutToWrite;
}

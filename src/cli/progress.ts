import type { IngestProgress } from '../engine/ingest/progress.js';
import type { TransferProgress } from '../engine/remotes/pack-transfer.js';
import { formatBytes } from './format.js';

const REDRAWS_PER_SECOND = 10;

export interface ProgressView {
  update(progress: Readonly<IngestProgress>): void;
  stop(): void;
}

/** Nothing drawn: not a terminal, or --quiet or --json. */
const silent = { update() {}, stop() {} };

/** A progress bar on stderr, drawn only on a terminal and at most ten times a second. */
export async function createIngestProgress(enabled: boolean): Promise<ProgressView> {
  if (!enabled || !process.stderr.isTTY) return silent;
  const { default: cliProgress } = await import('cli-progress'); // only on a terminal: spares start-up time
  const startedAt = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      fps: REDRAWS_PER_SECOND,
      hideCursor: true,
      clearOnComplete: true,
      format: '{phase} [{bar}] {percentage}% | {files} files | {done} / {totalBytes} | {rate} MB/s | ETA {eta_formatted}',
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
      const payload = {
        phase: progress.phase === 'scan' ? 'scanning' : 'adding  ',
        files: progress.phase === 'scan' ? `${progress.filesScanned}` : `${progress.filesRead}/${progress.filesToRead}`,
        done: formatBytes(progress.bytesRead),
        totalBytes: formatBytes(progress.bytesToRead),
        rate: (progress.bytesRead / 1e6 / seconds).toFixed(1),
      };
      if (!started) {
        bar.start(Math.max(progress.bytesToRead, 1), progress.bytesRead, payload);
        started = true;
        return;
      }
      bar.setTotal(Math.max(progress.bytesToRead, 1));
      bar.update(progress.bytesRead, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export interface TransferProgressView {
  update(progress: Readonly<TransferProgress>): void;
  stop(): void;
}

/** Packs going up (push) or down (fetch, pull, clone): a bar with bytes, rate and ETA, on a terminal only. */
export async function createTransferProgress(enabled: boolean): Promise<TransferProgressView> {
  if (!enabled || !process.stderr.isTTY) return silent;
  const { default: cliProgress } = await import('cli-progress');
  const startedAt = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      fps: REDRAWS_PER_SECOND,
      hideCursor: true,
      clearOnComplete: true,
      format: '{phase} [{bar}] {percentage}% | {packs} packs | {done} / {totalBytes} | {rate} MB/s | ETA {eta_formatted}',
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
      const payload = {
        phase: progress.direction === 'up' ? 'sending  ' : 'receiving',
        packs: `${progress.packsDone}/${progress.packsTotal}`,
        done: formatBytes(progress.bytesDone),
        totalBytes: formatBytes(progress.bytesTotal),
        rate: (progress.bytesDone / 1e6 / seconds).toFixed(1),
      };
      if (!started) {
        bar.start(Math.max(progress.bytesTotal, 1), progress.bytesDone, payload);
        started = true;
        return;
      }
      bar.setTotal(Math.max(progress.bytesTotal, 1));
      bar.update(progress.bytesDone, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

import type { IngestProgress } from '../engine/ingest/progress.js';
import { formatBytes } from './format.js';

const REDRAWS_PER_SECOND = 10;

export interface ProgressView {
  update(progress: Readonly<IngestProgress>): void;
  stop(): void;
}

const silent: ProgressView = { update() {}, stop() {} };

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

import type { IngestProgress } from '../engine/ingest/progress.js';
import type { TransferProgress } from '../engine/remotes/pack-transfer.js';
import { lazyRequire } from '../core/lazy-require.js';
import { formatBytes } from './format.js';

// Only on a terminal: spares start-up time.
const cliProgress = lazyRequire<typeof import('cli-progress')>('cli-progress');

const REDRAWS_PER_SECOND = 10;

export interface ProgressView<P> {
  update(progress: Readonly<P>): void;
  stop(): void;
}

/** What one bar shows: a phase, a count of items, bytes done out of a total. */
interface BarState {
  phase: string;
  items: string;
  bytesDone: number;
  bytesTotal: number;
}

/**
 * A progress bar on stderr, drawn only on a terminal and at most ten times a second, with bytes,
 * rate and ETA; `describe` turns each update into what the bar shows, `itemsLabel` names the items.
 */
async function createProgressBar<P>(enabled: boolean, itemsLabel: string, describe: (progress: Readonly<P>) => BarState): Promise<ProgressView<P>> {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const startedAt = Date.now();
  const bar = new (cliProgress().SingleBar)(
    {
      stream: process.stderr,
      fps: REDRAWS_PER_SECOND,
      hideCursor: true,
      clearOnComplete: true,
      format: `{phase} [{bar}] {percentage}% | {items} ${itemsLabel} | {done} / {totalBytes} | {rate} MB/s | ETA {eta_formatted}`,
    },
    cliProgress().Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const { phase, items, bytesDone, bytesTotal } = describe(progress);
      const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
      const payload = { phase, items, done: formatBytes(bytesDone), totalBytes: formatBytes(bytesTotal), rate: (bytesDone / 1e6 / seconds).toFixed(1) };
      if (!started) {
        bar.start(Math.max(bytesTotal, 1), bytesDone, payload);
        started = true;
        return;
      }
      bar.setTotal(Math.max(bytesTotal, 1));
      bar.update(bytesDone, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** `add`: scanning, then adding files. */
export function createIngestProgress(enabled: boolean): Promise<ProgressView<IngestProgress>> {
  return createProgressBar<IngestProgress>(enabled, 'files', (progress) => ({
    phase: progress.phase === 'scan' ? 'scanning' : 'adding  ',
    items: progress.phase === 'scan' ? `${progress.filesScanned}` : `${progress.filesRead}/${progress.filesToRead}`,
    bytesDone: progress.bytesRead,
    bytesTotal: progress.bytesToRead,
  }));
}

/** Packs going up (push) or down (fetch, pull, clone). */
export function createTransferProgress(enabled: boolean): Promise<ProgressView<TransferProgress>> {
  return createProgressBar<TransferProgress>(enabled, 'packs', (progress) => ({
    phase: progress.direction === 'up' ? 'sending  ' : 'receiving',
    items: `${progress.packsDone}/${progress.packsTotal}`,
    bytesDone: progress.bytesDone,
    bytesTotal: progress.bytesTotal,
  }));
}

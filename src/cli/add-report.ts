import type { AddResult } from '../engine/add.js';
import { quotePath } from '../core/path-bytes.js';
import { countOf, formatBytes } from './format.js';

/** What `add` (and `commit -A`) could not take: skipped paths as notices, unreadable ones as errors. */
export function reportAddProblems(result: AddResult, notice: (message: string) => void): void {
  for (const item of result.skipped) notice(`skipped ${quotePath(item.path)}: ${item.reason}`);
  for (const item of result.failed) process.stderr.write(`error: could not add ${quotePath(item.path)}: ${item.reason}\n`);
}

/** add's one-line summary of what it staged. */
export function addSummary(result: AddResult): string {
  return (
    `${result.addedCount} added, ${result.modifiedCount} modified, ${result.removedCount} removed, ${result.unchangedCount} unchanged; ` +
    `read ${formatBytes(result.bytesRead)}, stored ${formatBytes(result.storedBytes)} new (${countOf(result.newChunkCount, 'new chunk')})`
  );
}

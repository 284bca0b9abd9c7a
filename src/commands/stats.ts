import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { formatBytes, formatRatio, shortId } from '../cli/format.js';
import { computeStats, type RepositoryStats } from '../engine/stats.js';
import { quotePath } from '../core/path-bytes.js';

const BAR_WIDTH = 30;

export default class Stats extends BaseCommand<typeof Stats> {
  static override summary = 'Show how efficiently the repository stores what it holds, and where the bytes go.';
  static override description =
    `Deduplication ratio: logical bytes of all commits / unique chunk bytes. Compression ratio: unique chunk bytes / bytes in pack files. Also: what each commit added, chunk sizes, the files taking the most stored bytes (a chunk's stored bytes are its share of its compressed frame), and pack fill.\n\n${EXIT_STATUS_HELP}`;

  async run(): Promise<void> {
    const stats = computeStats(this.openRepository());
    if (this.flags.json) return this.printJson(stats);
    this.say(render(stats));
  }
}

/** Aligned columns: the first left, numbers right, and (with `lastLeft`) a trailing bar or text left. */
function table(rows: string[][], lastLeft = false): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const last = rows[0]!.length - 1;
  const align = (cell: string, column: number): string =>
    column === 0 || (lastLeft && column === last) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!);
  return rows.map((row) => row.map(align).join('  ').trimEnd());
}

function bar(value: number, max: number): string {
  return '█'.repeat(max === 0 ? 0 : Math.max(value > 0 ? 1 : 0, Math.round((value / max) * BAR_WIDTH)));
}

function render(stats: RepositoryStats): string {
  const out: string[] = [];
  out.push(
    ...table([
      ['HEAD', stats.head.commitId === undefined ? '(no commits)' : shortId(stats.head.commitId)],
      ['files at HEAD', `${stats.head.fileCount}`],
      ['logical bytes at HEAD', formatBytes(stats.head.logicalBytes)],
      ['tracked files (staging area)', `${stats.staged.fileCount} (${formatBytes(stats.staged.logicalBytes)})`],
      ['commits', `${stats.commitCount}`],
      ['logical bytes, all commits', formatBytes(stats.logicalBytesAllCommits)],
      ['distinct file contents, branch history', `${stats.distinctFileContents}`],
      ['unique chunks', `${stats.chunkCount} (${formatBytes(stats.uniqueChunkBytes)})`],
      ['stored bytes (packs)', formatBytes(stats.storedBytes)],
      ['packs', `${stats.packCount} (mean fill ${(stats.packFill * 100).toFixed(1)}% of target)`],
      ['deduplication ratio', formatRatio(stats.deduplicationRatio)],
      ['compression ratio', formatRatio(stats.compressionRatio)],
    ]),
  );
  if (stats.commits.length > 0) {
    const shown = stats.commits.slice(-15);
    const max = Math.max(...shown.map((commit) => commit.newChunkBytes));
    out.push('', 'new chunk bytes per commit (oldest first):');
    out.push(
      ...table(
        shown.map((commit) => [
          shortId(commit.commitId),
          formatBytes(commit.newChunkBytes),
          `${bar(commit.newChunkBytes, max).padEnd(BAR_WIDTH)}  ${commit.message.slice(0, 40)}`,
        ]),
        true,
      ),
    );
  }
  if (stats.chunkSizeHistogram.length > 0) {
    const max = Math.max(...stats.chunkSizeHistogram.map((bucket) => bucket.count));
    out.push('', 'chunk sizes:');
    out.push(
      ...table(
        stats.chunkSizeHistogram.map((bucket) => [
          `${formatBytes(bucket.fromBytes)} - ${formatBytes(bucket.toBytes)}`,
          `${bucket.count}`,
          bar(bucket.count, max),
        ]),
        true,
      ),
    );
  }
  if (stats.largestStoredFiles.length > 0) {
    out.push('', 'files taking the most stored bytes at HEAD:');
    out.push(
      ...table(
        stats.largestStoredFiles.map((file) => [quotePath(file.path), formatBytes(file.storedBytes), `of ${formatBytes(file.logicalBytes)}`]),
        true,
      ),
    );
  }
  return out.join('\n');
}

import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { formatBytes, formatRatio, shortId } from '../cli/format.js';
import { computeStats } from '../engine/stats.js';

export default class Stats extends BaseCommand<typeof Stats> {
  static override summary = 'Show how efficiently the repository stores what it holds.';
  static override description = `Deduplication ratio: logical bytes of all commits / unique chunk bytes. Compression ratio: unique chunk bytes / bytes in pack files.\n\n${EXIT_STATUS_HELP}`;

  async run(): Promise<void> {
    const stats = computeStats(this.openRepository());
    if (this.flags.json) return this.printJson(stats);
    const rows: [string, string][] = [
      ['HEAD', stats.head.commitId === undefined ? '(no commits)' : shortId(stats.head.commitId)],
      ['files at HEAD', String(stats.head.fileCount)],
      ['logical bytes at HEAD', formatBytes(stats.head.logicalBytes)],
      ['staged files', `${stats.staged.fileCount} (${formatBytes(stats.staged.logicalBytes)})`],
      ['commits', String(stats.commitCount)],
      ['logical bytes, all commits', formatBytes(stats.logicalBytesAllCommits)],
      ['distinct file contents', String(stats.distinctFileContents)],
      ['unique chunks', `${stats.chunkCount} (${formatBytes(stats.uniqueChunkBytes)})`],
      ['stored bytes (packs)', `${formatBytes(stats.storedBytes)} in ${stats.packCount} packs`],
      ['deduplication ratio', formatRatio(stats.deduplicationRatio)],
      ['compression ratio', formatRatio(stats.compressionRatio)],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    this.say(rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n'));
  }
}

import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { countOf, formatBytes } from '../cli/format.js';
import { collectGarbage } from '../engine/maintenance/gc.js';

export default class Gc extends BaseCommand<typeof Gc> {
  static override summary = 'Remove chunks that no commit and no staging entry needs.';
  static override description =
    `Packs with nothing live are deleted; packs that are at least half dead are rewritten with only their live blobs; small packs (under an eighth of the pack size, 16 MiB by default, and under 2,048 blobs) are joined into one, unless a remote holds them. What gc copies from packs a commit wrote it compresses harder (zstd 16, deltas 8), once. Packs left unindexed by an interrupted command and temporary files are removed too.\n\n${EXIT_STATUS_HELP}`;
  static override flags = {
    'dry-run': Flags.boolean({ char: 'n', description: 'report what would be freed, change nothing' }),
  };

  async run(): Promise<void> {
    const report = await collectGarbage(this.openRepository(), { dryRun: this.flags['dry-run'] });
    if (this.flags.json) return this.printJson(report);
    const verb = report.dryRun ? 'would free' : 'freed';
    this.say(
      `${countOf(report.deadBlobCount, 'unreferenced blob')} (${formatBytes(report.deadRawBytes)} raw); ` +
        `${countOf(report.packsDeleted.length, 'pack')} deleted, ${report.packsRewritten.length} rewritten, ${report.packsJoined.length} joined, ${report.unindexedPacksRemoved.length} unindexed removed; ` +
        `${verb} ${formatBytes(Math.max(report.bytesFreed, 0))}`,
    );
  }
}

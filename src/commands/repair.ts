import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { ExitStatus } from '../core/errors.js';
import { repairRepository } from '../engine/maintenance/repair.js';
import { countOf } from '../cli/format.js';

export default class Repair extends BaseCommand<typeof Repair> {
  static override summary = 'Rebuild the catalog from the packs, and heal lost chunks from the work tree.';
  static override description =
    `Every blob of every pack is re-read and verified; damaged blobs and unreadable packs are left out. The new catalog replaces the old one atomically. Staged files whose content lost chunks are re-read from the work tree where the file still has that content. Exits 8 if something is still broken afterwards.\n\n${EXIT_STATUS_HELP}`;

  async run(): Promise<void> {
    const report = await repairRepository(this.openRepository());
    if (this.flags.json) this.printJson(report);
    else {
      for (const skipped of report.packsSkipped) process.stderr.write(`skipped pack ${skipped.pack}: ${skipped.reason}\n`);
      if (report.corruptBlobsDropped.length > 0) process.stderr.write(`left out ${report.corruptBlobsDropped.length} damaged blobs\n`);
      for (const path of report.healed) this.notice(`healed ${path} from the work tree`);
      for (const item of report.stillBroken)
        process.stderr.write(
          `still broken: ${item.commit === 'staging' ? 'staging area' : `commit ${item.commit.slice(0, 12)}`}: ${item.path}: ${item.reason}\n`,
        );
      this.say(
        `catalog rebuilt from ${countOf(report.packsIndexed, 'pack')}: ${countOf(report.blobsIndexed, 'blob')}, ${countOf(report.filesIndexed, 'file map')}, ${countOf(report.commitsIndexed, 'commit')}` +
          (report.healed.length > 0 ? `; healed ${countOf(report.healed.length, 'file')}` : ''),
      );
    }
    if (report.stillBroken.length > 0) this.exitWith(ExitStatus.CORRUPT);
  }
}

import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { ExitStatus } from '../core/errors.js';
import { countOf } from '../cli/format.js';
import { verifyRepository } from '../engine/maintenance/verify.js';
import { verifyRemote } from '../engine/verify-remote.js';

export default class Verify extends BaseCommand<typeof Verify> {
  static override summary = 'Check that the catalog, the packs and every commit agree and are complete.';
  static override description =
    `Without --read-data, checks every pack's footer against the catalog and that every commit, tree and file reachable from a branch or the staging area has all its blobs. With --read-data, also re-hashes every blob and every pack. Exits 8 on damage, naming the packs, blobs, and the files of each commit they break.\n\n${EXIT_STATUS_HELP}`;
  static override flags = {
    'read-data': Flags.boolean({ description: 're-read and re-hash every blob (with --remote: every pack, downloaded)' }),
    remote: Flags.string({ description: "check a remote instead: its manifests, packs' footers, refs, and that it holds every blob its refs reach" }),
  };

  async run(): Promise<void> {
    if (this.flags.remote !== undefined) return this.verifyRemote(this.flags.remote);
    const report = await verifyRepository(this.openRepository(), { readData: this.flags['read-data'] });
    if (this.flags.json) this.printJson(report);
    else {
      for (const finding of report.findings) {
        const line = `${finding.severity === 'damage' ? 'damage' : 'notice'}: ${finding.message}`;
        if (finding.severity === 'damage') process.stderr.write(`${line}\n`);
        else this.notice(line);
        for (const blob of finding.blobs?.slice(0, 20) ?? []) process.stderr.write(`  blob ${blob}\n`);
        if ((finding.blobs?.length ?? 0) > 20) process.stderr.write(`  ... and ${finding.blobs!.length - 20} more\n`);
      }
      for (const item of report.affected)
        process.stderr.write(`broken: ${item.commit === 'staging' ? 'staging area' : `commit ${item.commit.slice(0, 12)}`}: ${item.path}: ${item.reason}\n`);
      const checked = `${countOf(report.packsChecked, 'pack')}, ${countOf(report.commitsChecked, 'commit')}${report.readData ? `, ${countOf(report.blobsChecked, 'blob')} re-hashed` : ''}`;
      if (report.ok) this.say(`ok: checked ${checked}`);
      else {
        // The damage first (what was checked is beside the point when something is broken).
        const problems = report.findings.filter((finding) => finding.severity === 'damage').length;
        const files = report.affected.length > 0 ? `, ${countOf(report.affected.length, 'file')} affected` : '';
        this.say(`DAMAGED: ${countOf(problems, 'problem')}${files} (named above); checked ${checked}`);
      }
    }
    if (!report.ok) this.exitWith(ExitStatus.CORRUPT);
  }

  private async verifyRemote(name: string): Promise<void> {
    const report = await verifyRemote(this.openRepository(), { remote: name, readData: this.flags['read-data'] });
    if (this.flags.json) this.printJson(report);
    else {
      for (const line of report.damage) process.stderr.write(`damage: ${line}\n`);
      const checked = `${countOf(report.manifestsChecked, 'manifest')}, ${countOf(report.packsChecked, 'pack')}${report.readData ? ' (read whole)' : ''}, ${countOf(report.refsChecked, 'ref')}`;
      if (report.ok) this.say(`ok: ${report.url}: checked ${checked}`);
      else this.say(`DAMAGED: ${report.url}: ${countOf(report.damage.length, 'problem')} (named above); checked ${checked}`);
    }
    if (!report.ok) this.exitWith(ExitStatus.CORRUPT);
  }
}

import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { computeStatus, type Change } from '../engine/worktree/status.js';
import { quotePath } from '../core/path-bytes.js';

const PORCELAIN_LETTER: Record<Change, string> = { added: 'A', modified: 'M', deleted: 'D', typechange: 'T' };

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show staged, modified, deleted and untracked files.';
  static override description =
    `--porcelain prints git's short format: XY PATH, X the staged change, Y the unstaged one, ?? for untracked.\n\n${EXIT_STATUS_HELP}`;
  static override flags = {
    porcelain: Flags.boolean({ description: 'stable, machine-readable short format' }),
    refresh: Flags.boolean({
      description: 'write back the stat data of files that were re-read and found unchanged, when no other command is writing (as git does)',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<void> {
    const report = computeStatus(this.openRepository(), { refresh: this.flags.refresh });
    if (this.flags.json) return this.printJson(report);
    for (const item of report.unreadable) process.stderr.write(`warning: could not read ${quotePath(item.path)}: ${item.reason}\n`);
    if (this.flags.porcelain) {
      const codes = new Map<string, [string, string]>();
      for (const item of report.staged) codes.set(item.path, [PORCELAIN_LETTER[item.change], ' ']);
      for (const item of report.unstaged) codes.set(item.path, [codes.get(item.path)?.[0] ?? ' ', PORCELAIN_LETTER[item.change]]);
      const lines = [...codes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, [x, y]]) => `${x}${y} ${quotePath(path)}`);
      for (const path of report.untracked) lines.push(`?? ${quotePath(path)}`);
      if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
      return;
    }
    const out: string[] = [`On branch ${report.branch}`];
    if (report.headCommit === undefined) out.push('', 'No commits yet');
    const section = (title: string, hint: string, items: string[]): void => {
      if (items.length === 0) return;
      out.push('', `${title}:`, `  (${hint})`, ...items.map((item) => `\t${item}`));
    };
    section(
      'Changes to be committed',
      'use "store commit -m MSG" to record them',
      report.staged.map((i) => `${i.change}:`.padEnd(12) + quotePath(i.path)),
    );
    section(
      'Changes not staged for commit',
      'use "store add PATH" to stage them',
      report.unstaged.map((i) => `${i.change}:`.padEnd(12) + quotePath(i.path)),
    );
    section('Untracked files', 'use "store add PATH" to track them', report.untracked.map(quotePath));
    section(
      'Nested repositories, not descended into',
      'each has a .store of its own',
      report.nestedRepositories.map((path) => `${quotePath(path)}/`),
    );
    if (report.staged.length + report.unstaged.length + report.untracked.length === 0) out.push('', 'nothing to commit, working tree clean');
    this.say(out.join('\n'));
  }
}

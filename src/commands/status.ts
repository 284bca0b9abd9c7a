import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { CHANGE_LETTER } from '../cli/format.js';
import { computeStatus, type StatusReport, type UntrackedFiles } from '../engine/worktree/status.js';
import { relativeToCwd } from '../engine/worktree/paths.js';
import { quotePath, quotePathAscii } from '../core/path-bytes.js';
import { takeStatusBegunEarly } from '../cli/status-begun-early.js';

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show staged, modified, deleted and untracked files.';
  static override description =
    `Paths are shown relative to the current directory, as git shows them; --porcelain (and -z) keeps them relative to the repository's root, as git's porcelain does, and --json too.

--porcelain prints git's short format, version 1: XY PATH, X the staged change, Y the unstaged one, ?? for untracked; a name with a byte that is not printable ASCII is quoted as git quotes it ("caf\\303\\251", "a\\nb"). -z ends each entry with a NUL instead, names unquoted. --short is the same format, paths relative to the current directory.

A directory that holds no tracked file is shown as dir/ (git's --untracked-files=normal); -u lists every untracked file, --untracked-files=no none.

${EXIT_STATUS_HELP}`;
  static override flags = {
    porcelain: Flags.boolean({ description: "git's porcelain v1 format: stable, for scripts; paths relative to the repository's root" }),
    short: Flags.boolean({ char: 's', description: 'the short format, paths relative to the current directory' }),
    z: Flags.boolean({ char: 'z', description: 'entries end with NUL, names unquoted (implies --porcelain)' }),
    'untracked-files': Flags.string({ description: 'untracked files: no, normal (directories as dir/), all (every file)', options: ['no', 'normal', 'all'] }),
    u: Flags.boolean({ char: 'u', description: 'list every untracked file (--untracked-files=all)' }),
    refresh: Flags.boolean({
      description: 'write back the stat data of files that were re-read and found unchanged, when no other command is writing (as git does)',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<void> {
    const untracked = (this.flags['untracked-files'] ?? (this.flags.u ? 'all' : 'normal')) as UntrackedFiles;
    const repo = this.openRepository();
    const report = computeStatus(repo, { refresh: this.flags.refresh, untracked }, takeStatusBegunEarly(repo.workTree));
    if (this.flags.json) return this.printJson(report);
    for (const item of report.unreadable) process.stderr.write(`warning: could not read ${quotePath(item.path)}: ${item.reason}\n`);
    if (this.flags.z) return this.writeOut(shortLines(report).map(([codes, path]) => `${codes} ${path}\0`));
    if (this.flags.porcelain) return this.writeOut(shortLines(report).map(([codes, path]) => `${codes} ${quotePathAscii(path)}\n`));
    const shown = relativeToCwd(repo.workTree, process.cwd());
    if (this.flags.short) return this.writeOut(shortLines(report).map(([codes, path]) => `${codes} ${quotePathAscii(shown(path))}\n`));
    this.say(longFormat(report, (path) => quotePath(shown(path))));
  }

  private writeOut(lines: string[]): void {
    if (!this.flags.quiet && lines.length > 0) process.stdout.write(lines.join(''));
  }
}

/** git's short format: [XY, path] for each changed path (by path), then ?? for each untracked one. */
function shortLines(report: StatusReport): [string, string][] {
  const codes = new Map<string, [string, string]>();
  for (const item of report.staged) codes.set(item.path, [CHANGE_LETTER[item.change], ' ']);
  for (const item of report.unstaged) codes.set(item.path, [codes.get(item.path)?.[0] ?? ' ', CHANGE_LETTER[item.change]]);
  const lines: [string, string][] = [...codes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, [x, y]]) => [`${x}${y}`, path]);
  for (const path of report.untracked) lines.push(['??', path]);
  return lines;
}

function longFormat(report: StatusReport, shown: (path: string) => string): string {
  const out: string[] = [report.branch === undefined ? `HEAD detached at ${report.headCommit?.slice(0, 12)}` : `On branch ${report.branch}`];
  if (report.headCommit === undefined) out.push('', 'No commits yet');
  const section = (title: string, hint: string, items: string[]): void => {
    if (items.length === 0) return;
    out.push('', `${title}:`, `  (${hint})`, ...items.map((item) => `\t${item}`));
  };
  section(
    'Changes to be committed',
    'use "store commit -m MSG" to record them',
    report.staged.map((i) => `${i.change}:`.padEnd(12) + shown(i.path)),
  );
  section(
    'Changes not staged for commit',
    'use "store add PATH" to stage them',
    report.unstaged.map((i) => `${i.change}:`.padEnd(12) + shown(i.path)),
  );
  section('Untracked files', 'use "store add PATH" to track them', report.untracked.map(shown));
  section(
    'Nested repositories, not descended into',
    'each has a .store of its own',
    report.nestedRepositories.map((path) => `${shown(path)}/`),
  );
  if (report.staged.length + report.unstaged.length + report.untracked.length === 0) out.push('', 'nothing to commit, working tree clean');
  return out.join('\n');
}

import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { formatCommit, mediumFormat } from '../cli/commit-format.js';
import { decorations, walkLog, type LogEntry } from '../engine/log.js';
import { revisionsAndPaths } from '../cli/revision-words.js';

export default class Log extends BaseCommand<typeof Log> {
  static override summary = 'Show the commit history, newest first.';
  static override description =
    `log [REVISION...] [-- PATH...]: the commits reachable from the revisions (HEAD by default; every branch, tag and remote-tracking branch with --all), newest first, each decorated with the branches and tags at it, as git log shows them. With paths, only the commits that changed something under them.

--format takes git's placeholders: %H %h (commit id, short), %T %t (tree), %P %p (parent), %an (author), %ad %aI (date, ISO 8601), %at (Unix time), %s (subject), %b (body), %B (message), %d %D (decorations, with and without parentheses), %n (newline), %% (a %). --format=oneline is --oneline.

${EXIT_STATUS_HELP}`;
  static override examples = ['<%= config.bin %> log --oneline --all', '<%= config.bin %> log -n 5 -- docs/', '<%= config.bin %> log --format="%h %ad %s"'];
  static override strict = false;
  static override args = {
    revision: Args.string({ description: 'commits to start from (branch, tag, HEAD~N, id or prefix); after --, paths' }),
  };
  static override flags = {
    oneline: Flags.boolean({ description: 'one line per commit: short id, decorations and subject' }),
    'max-count': Flags.integer({ char: 'n', description: 'show at most N commits', min: 0 }),
    all: Flags.boolean({ description: 'start from every branch, tag and remote-tracking branch, and HEAD' }),
    format: Flags.string({ description: 'each commit as this template (git placeholders, see above)', aliases: ['pretty'] }),
  };

  async run(): Promise<void> {
    const { argv } = await this.parse(Log);
    const repo = this.openRepository();
    const { revisions, paths } = revisionsAndPaths(repo, argv as string[]);
    const entries = walkLog(repo, {
      starts: revisions,
      all: this.flags.all,
      limit: this.flags['max-count'],
      paths: paths.length > 0 ? paths : undefined,
      cwd: process.cwd(),
    });
    if (this.flags.json) return this.printJsonArray(entries);
    const labels = decorations(repo);
    const template = this.flags.format === 'oneline' || this.flags.oneline ? '%h%d %s' : this.flags.format;
    const render =
      template === undefined
        ? (entry: LogEntry) => mediumFormat(entry, labels.get(entry.commitId))
        : (entry: LogEntry) => formatCommit(template, entry, labels.get(entry.commitId));
    this.sayLines(
      (function* () {
        let first = true;
        for (const entry of entries) {
          // git's medium format separates commits with an empty line; a template does not.
          if (!first && template === undefined) yield '';
          first = false;
          yield render(entry);
        }
      })(),
    );
  }
}

import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { formatBytes } from '../cli/format.js';
import { StoreError } from '../core/errors.js';
import { commitSnapshot, diffSnapshots, headSnapshot, stagingSnapshot, workTreeSnapshot, type FileDiff } from '../engine/diff.js';
import { quotePath } from '../core/path-bytes.js';

const LETTER: Record<FileDiff['change'], string> = { added: 'A', modified: 'M', deleted: 'D', typechange: 'T' };

export default class Diff extends BaseCommand<typeof Diff> {
  static override summary = 'Show changed files: work tree vs staging area, staging vs HEAD, or between commits.';
  static override description =
    `store diff: work tree against the staging area. store diff --staged: staging area against HEAD. store diff A: commit A against the work tree. store diff A B: commit A against commit B. Files are compared by content id; the output lists which files changed and their sizes.\n\n${EXIT_STATUS_HELP}`;
  static override args = {
    from: Args.string({ description: 'first commit' }),
    to: Args.string({ description: 'second commit' }),
  };
  static override flags = {
    staged: Flags.boolean({ description: 'staging area against HEAD', aliases: ['cached'] }),
    'name-status': Flags.boolean({ description: 'one line per file: status letter and path' }),
    stat: Flags.boolean({ description: 'per file: old and new size; and a summary line' }),
  };

  async run(): Promise<void> {
    const repo = this.openRepository();
    const { from, to } = this.args;
    if (this.flags.staged && to !== undefined) throw new StoreError('INVALID_ARGUMENT', '--staged compares the staging area with one commit, not two');
    const diffs =
      to !== undefined
        ? diffSnapshots(commitSnapshot(repo, from!), commitSnapshot(repo, to))
        : this.flags.staged
          ? diffSnapshots(from === undefined ? headSnapshot(repo) : commitSnapshot(repo, from), stagingSnapshot(repo))
          : diffSnapshots(from === undefined ? stagingSnapshot(repo) : commitSnapshot(repo, from), workTreeSnapshot(repo));
    if (this.flags.json) return this.printJson(diffs);
    if (diffs.length === 0) return;
    if (this.flags.stat) {
      const width = Math.max(...diffs.map((diff) => quotePath(diff.path).length));
      const lines = diffs.map(
        (diff) =>
          ` ${quotePath(diff.path).padEnd(width)} | ${diff.oldSizeBytes === undefined ? '(new)' : formatBytes(diff.oldSizeBytes)} -> ${diff.newSizeBytes === undefined ? '(gone)' : formatBytes(diff.newSizeBytes)}`,
      );
      const count = (change: FileDiff['change']): number => diffs.filter((diff) => diff.change === change).length;
      lines.push(` ${diffs.length} files changed: ${count('added')} added, ${count('modified') + count('typechange')} modified, ${count('deleted')} deleted`);
      return this.say(lines.join('\n'));
    }
    // --name-status and the default: git's name-status format (content diffs are not shown).
    this.say(diffs.map((diff) => `${LETTER[diff.change]}\t${quotePath(diff.path)}`).join('\n'));
  }
}

import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { formatBytes } from '../cli/format.js';
import { StoreError } from '../core/errors.js';
import { commitSide, diffCommits, diffSides, diffWorkTree, headSide, stagingSide, workTreeSide, type FileDiff } from '../engine/diff.js';
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
    const diffs: () => Iterable<FileDiff> =
      to !== undefined
        ? diffCommits(repo, from!, to)
        : this.flags.staged
          ? () => diffSides(from === undefined ? headSide(repo) : commitSide(repo, from), stagingSide(repo))
          : from === undefined
            ? () => diffWorkTree(repo)
            : () => diffSides(commitSide(repo, from), workTreeSide(repo));
    if (this.flags.json) return this.printJsonArray(diffs());
    if (this.flags.stat) {
      // Two passes (the width of the path column first), as git's --stat: the diffs are not held.
      let width = 0;
      const counts = { added: 0, modified: 0, typechange: 0, deleted: 0 };
      for (const diff of diffs()) {
        width = Math.max(width, quotePath(diff.path).length);
        counts[diff.change]++;
      }
      const total = counts.added + counts.modified + counts.typechange + counts.deleted;
      if (total === 0) return;
      this.sayLines(
        (function* () {
          for (const diff of diffs())
            yield ` ${quotePath(diff.path).padEnd(width)} | ${diff.oldSizeBytes === undefined ? '(new)' : formatBytes(diff.oldSizeBytes)} -> ${diff.newSizeBytes === undefined ? '(gone)' : formatBytes(diff.newSizeBytes)}`;
          yield ` ${total} files changed: ${counts.added} added, ${counts.modified + counts.typechange} modified, ${counts.deleted} deleted`;
        })(),
      );
      return;
    }
    // --name-status and the default: git's name-status format (content diffs are not shown).
    this.sayLines(
      (function* () {
        for (const diff of diffs()) yield `${LETTER[diff.change]}\t${quotePath(diff.path)}`;
      })(),
    );
  }
}

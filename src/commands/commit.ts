import * as Flags from '@oclif/core/flags';
import { userInfo } from 'node:os';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { countOf, formatBytes, shortId } from '../cli/format.js';
import { addToStaging, type AddResult } from '../engine/add.js';
import { commitStaged, type CommitResult, emptyMessageRefused } from '../engine/commit.js';
import { createIngestProgress } from '../cli/progress.js';
import { reportAddProblems } from '../cli/add-report.js';
import { StoreError } from '../core/errors.js';
import type { Repository } from '../repository/repository.js';

export default class Commit extends BaseCommand<typeof Commit> {
  static override summary = 'Record the staging area as a new commit on the current branch.';
  static override description =
    `The commit id is the BLAKE3 of the commit object, which names its tree (and so every file's content), its parent, author, time and message.\n\nThe summary counts, as git's does, the files the commit added, removed and modified (content, kind, or the executable bit, which trees record as git's do) against its parent; a commit that changes only other permission bits says so.\n\n${EXIT_STATUS_HELP}`;
  static override examples = ['<%= config.bin %> commit -m "first snapshot"', '<%= config.bin %> commit -A -m "everything as it is now"'];
  static override flags = {
    message: Flags.string({ char: 'm', description: 'commit message', required: true }),
    author: Flags.string({ description: 'author name (default: $STORE_AUTHOR or the user name)' }),
    all: Flags.boolean({
      char: 'A',
      description: 'stage the whole work tree first, as `store add -A` does (new, changed and removed files), in this one process',
    }),
  };

  async run(): Promise<void> {
    const repo = this.openRepository();
    const author = this.flags.author ?? process.env.STORE_AUTHOR ?? userInfo().username;
    const staged = this.flags.all ? await this.stageAll(repo) : undefined;
    const result = await commitStaged(repo, { message: this.flags.message, author });
    if (this.flags.json) return this.printJson(staged === undefined ? result : { ...result, staged });
    const where = result.branch ?? 'detached HEAD';
    this.say(`[${where} ${shortId(result.commitId)}] ${this.flags.message.split('\n')[0]}\n ${changeSummary(result)}`);
    if (result.branch === undefined) {
      this.notice('warning: this commit is on no branch (HEAD is detached): `store switch -c NAME` keeps it on a new branch; switching away leaves it to gc');
    }
  }

  /** `add -A`, then the commit: a file that could not be read stops it before anything is committed. */
  private async stageAll(repo: Repository): Promise<AddResult> {
    if (this.flags.message.trim() === '') return emptyMessageRefused(); // before any work, as without -A
    const progress = await createIngestProgress(!this.flags.quiet && !this.flags.json);
    let staged: AddResult;
    try {
      staged = await addToStaging(repo, {
        all: true,
        paths: [],
        cwd: process.cwd(),
        force: false,
        listPaths: this.flags.json,
        onProgress: (p) => progress.update(p),
      });
    } finally {
      progress.stop();
    }
    if (!this.flags.json) reportAddProblems(staged, (message) => this.notice(message));
    if (staged.failed.length > 0) {
      throw new StoreError('PARTIAL', `${countOf(staged.failed.length, 'file')} could not be read (named above); nothing was committed`, {
        hint: 'what could be read is staged: fix the files and run the commit again, or commit the staging area as it is with `store commit -m`',
      });
    }
    return staged;
  }
}

/**
 * git's summary line, in store's words: `2 files changed: 1 added, 1 modified; 12 files (3.4 KiB) in
 * the commit`. Files count when their content or kind changed; a commit of permission bits alone says so.
 */
function changeSummary(result: CommitResult): string {
  const { added, modified, removed } = result.changes;
  const kinds = [
    [added, 'added'],
    [modified, 'modified'],
    [removed, 'removed'],
  ]
    .filter(([count]) => count !== 0)
    .map(([count, word]) => `${count} ${word}`);
  const changed = `${countOf(added + modified + removed, 'file')} changed${kinds.length === 0 ? '' : `: ${kinds.join(', ')}`}`;
  const modes = result.modesOnly ? '; permission bits changed' : '';
  return `${changed}${modes}; ${countOf(result.fileCount, 'file')} (${formatBytes(result.logicalBytes)}) in the commit`;
}

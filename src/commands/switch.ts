import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { StoreError } from '../core/errors.js';
import { detachHead, switchBranch } from '../engine/checkout.js';
import { isValidRefName } from '../repository/refs.js';

export default class Switch extends BaseCommand<typeof Switch> {
  static override summary = 'Switch to a branch (or, with --detach, to a commit): HEAD, the staging area and the work tree follow it.';
  static override description =
    `Refuses when tracked files have uncommitted changes, unless --force. With -c NAME, creates the branch at HEAD (the work tree is not touched), or at START (a commit, checked out as switching to it would be) when one is given, as git's switch -c NAME START does. With --detach, HEAD holds the commit itself (a detached HEAD, as in git): status and log show it, commits made there move HEAD alone, and switching away from a commit no branch holds warns that gc may free it.

${EXIT_STATUS_HELP}`;
  static override examples = [
    '<%= config.bin %> switch main',
    '<%= config.bin %> switch -c experiment',
    '<%= config.bin %> switch -c hotfix v1',
    '<%= config.bin %> switch --detach v1',
  ];
  static override args = {
    branch: Args.string({ description: 'branch to switch to (with --detach: a commit, default HEAD)' }),
    start: Args.string({ description: 'with -c: the commit the new branch starts at (default HEAD)' }),
  };
  static override flags = {
    create: Flags.boolean({ char: 'c', description: 'create the branch at HEAD, then switch to it' }),
    detach: Flags.boolean({ char: 'd', description: 'detach HEAD at the commit named (a branch, tag, HEAD~N, id or prefix)' }),
    force: Flags.boolean({ char: 'f', description: 'discard uncommitted changes to tracked files' }),
  };

  async run(): Promise<void> {
    const repo = this.openRepository();
    if (this.flags.detach) {
      const result = await detachHead(repo, { revision: this.args.branch ?? 'HEAD', force: this.flags.force, cwd: process.cwd() });
      if (this.flags.json) return this.printJson(result);
      this.warnLeftBehind(result.leftBehind);
      return this.say(`HEAD is now at ${result.commitId.slice(0, 12)}`);
    }
    const branch = this.args.branch;
    if (branch === undefined) throw new StoreError('INVALID_ARGUMENT', 'switch needs a branch (or --detach COMMIT)');
    if (!isValidRefName(branch)) throw new StoreError('INVALID_ARGUMENT', `'${branch}' is not a valid branch name`);
    if (this.args.start !== undefined && !this.flags.create) throw new StoreError('INVALID_ARGUMENT', 'a start point is taken only with -c NAME START');
    const result = await switchBranch(repo, { branch, create: this.flags.create, startPoint: this.args.start, force: this.flags.force, cwd: process.cwd() });
    if (this.flags.json) return this.printJson(result);
    this.warnLeftBehind(result.leftBehind);
    this.say(`Switched to ${this.flags.create ? 'a new ' : ''}branch '${result.branch}'`);
  }

  private warnLeftBehind(commitId: string | undefined): void {
    if (commitId === undefined) return;
    this.notice(
      `warning: leaving commit ${commitId.slice(0, 12)} behind: no branch or tag holds it, and gc will free it\n` +
        `hint: to keep it, \`store branch NAME ${commitId.slice(0, 12)}\``,
    );
  }
}

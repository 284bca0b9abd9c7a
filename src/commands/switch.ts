import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { StoreError } from '../core/errors.js';
import { switchBranch } from '../engine/checkout.js';
import { isValidRefName } from '../repository/refs.js';

export default class Switch extends BaseCommand<typeof Switch> {
  static override summary = 'Switch to a branch: HEAD, the staging area and the work tree follow it.';
  static override description =
    `Refuses when tracked files have uncommitted changes, unless --force. With -c, creates the branch at HEAD (the work tree is not touched).\n\n${EXIT_STATUS_HELP}`;
  static override args = { branch: Args.string({ description: 'branch to switch to', required: true }) };
  static override flags = {
    create: Flags.boolean({ char: 'c', description: 'create the branch at HEAD, then switch to it' }),
    force: Flags.boolean({ char: 'f', description: 'discard uncommitted changes to tracked files' }),
  };

  async run(): Promise<void> {
    if (!isValidRefName(this.args.branch)) throw new StoreError('INVALID_ARGUMENT', `'${this.args.branch}' is not a valid branch name`);
    const result = await switchBranch(this.openRepository(), {
      branch: this.args.branch,
      create: this.flags.create,
      force: this.flags.force,
      cwd: process.cwd(),
    });
    if (this.flags.json) this.printJson(result);
    else this.say(`Switched to ${this.flags.create ? 'a new ' : ''}branch '${result.branch}'`);
  }
}

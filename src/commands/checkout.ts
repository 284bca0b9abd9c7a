import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { checkoutCommit, switchBranch } from '../engine/checkout.js';
import { countOf } from '../cli/format.js';

export default class Checkout extends BaseCommand<typeof Checkout> {
  static override summary = 'Restore the files of a commit, or some paths of it, into the work tree or a directory.';
  static override description =
    `Content is verified, byte-exact; the executable bit, symlinks and modification times are restored. Into the work tree, files with uncommitted changes are not overwritten unless --force, and the staging area is updated to what was written; HEAD does not move (use \`store switch\`, or \`checkout -b\`). With -o DIR, files go under DIR and nothing else changes.\n\n${EXIT_STATUS_HELP}`;
  static override examples = [
    '<%= config.bin %> checkout HEAD~3 -o /tmp/old',
    '<%= config.bin %> checkout v1 docs/',
    '<%= config.bin %> checkout -b experiment',
  ];
  static override strict = false;
  static override args = {
    commit: Args.string({ description: 'commit to restore from (branch, tag, HEAD~N, id or prefix)' }),
    paths: Args.string({ description: 'only these paths' }),
  };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'restore under this directory instead of the work tree' }),
    force: Flags.boolean({ char: 'f', description: 'overwrite uncommitted changes' }),
    branch: Flags.string({ char: 'b', description: 'create a branch at HEAD and switch to it (like git checkout -b)' }),
  };

  async run(): Promise<void> {
    const repo = this.openRepository();
    if (this.flags.branch !== undefined) {
      const result = await switchBranch(repo, { branch: this.flags.branch, create: true, force: this.flags.force, cwd: process.cwd() });
      if (this.flags.json) return this.printJson(result);
      return this.say(`Switched to a new branch '${result.branch}'`);
    }
    const { argv } = await this.parse(Checkout);
    const [revision = 'HEAD', ...paths] = argv as string[];
    const result = await checkoutCommit(repo, {
      revision,
      paths,
      cwd: process.cwd(),
      outputDirectory: this.flags.output,
      force: this.flags.force,
      listWritten: this.flags.json === true, // a million paths are a million strings: only --json lists them (the flag is undefined when not given)
    });
    if (this.flags.json) this.printJson(result);
    else
      this.say(
        `restored ${countOf(result.writtenCount, 'file')} from ${result.commitId.slice(0, 12)}${result.removed.length > 0 ? `, removed ${result.removed.length}` : ''}`,
      );
  }
}

import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { countOf } from '../cli/format.js';
import { checkoutCommit } from '../engine/checkout.js';
import { resetStaging } from '../engine/reset.js';
import { restoreWorkTreePaths } from '../engine/restore-paths.js';

export default class Restore extends BaseCommand<typeof Restore> {
  static override summary = 'Restore files of the work tree (or, with --staged, of the staging area) from the staging area or a commit.';
  static override description =
    `As git restore: without --staged, files of the work tree are restored from the staging area, or from --source COMMIT (the staging area then stays as it is); with --staged, staging entries from HEAD or --source (the work tree is not touched); with both --staged and --worktree, both. A deleted file is simply written back; a file with changes that neither a commit nor the staging area holds is not overwritten unless --force (git would overwrite it).

${EXIT_STATUS_HELP}`;
  static override examples = [
    '<%= config.bin %> restore notes.txt',
    '<%= config.bin %> restore --source HEAD~2 docs/',
    '<%= config.bin %> restore --staged notes.txt',
  ];
  static override strict = false;
  static override args = { paths: Args.string({ description: 'paths to restore', required: true }) };
  static override flags = {
    source: Flags.string({ char: 's', description: 'commit to restore from (default: the staging area; with --staged: HEAD)' }),
    staged: Flags.boolean({ char: 'S', description: 'restore the staging area' }),
    worktree: Flags.boolean({ char: 'W', description: 'restore the work tree (the default without --staged)' }),
    force: Flags.boolean({ char: 'f', description: 'overwrite changes no commit or staging area holds' }),
  };

  async run(): Promise<void> {
    const { argv } = await this.parse(Restore);
    const paths = argv as string[];
    const repo = this.openRepository();
    const cwd = process.cwd();
    if (this.flags.staged && this.flags.worktree) {
      const result = await checkoutCommit(repo, {
        revision: this.flags.source ?? 'HEAD',
        paths,
        cwd,
        force: this.flags.force,
        listWritten: this.flags.json === true,
      });
      if (this.flags.json) return this.printJson(result);
      return this.say(`restored ${countOf(result.writtenCount, 'file')} from ${result.commitId.slice(0, 12)}, staged as restored`);
    }
    if (this.flags.staged) {
      const result = await resetStaging(repo, { paths, cwd, source: this.flags.source });
      if (this.flags.json) return this.printJson(result);
      return;
    }
    const result = await restoreWorkTreePaths(repo, { paths, cwd, source: this.flags.source, force: this.flags.force });
    if (this.flags.json) return this.printJson(result);
    const removed = result.removed.length > 0 ? `, removed ${countOf(result.removed.length, 'file')}` : '';
    const from = this.flags.source === undefined ? result.source : result.source.slice(0, 12);
    this.say(`restored ${countOf(result.restored.length, 'file')} from ${from}${removed}`);
  }
}

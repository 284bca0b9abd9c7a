import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { StoreError } from '../core/errors.js';
import { checkoutCommit, detachHead, switchBranch } from '../engine/checkout.js';
import { namesCommit, wordsAfterSeparator } from '../cli/revision-words.js';
import { restoreWorkTreePaths } from '../engine/restore-paths.js';
import { countOf } from '../cli/format.js';
import type { Repository } from '../repository/repository.js';

export default class Checkout extends BaseCommand<typeof Checkout> {
  static override summary = 'Switch branches or restore files, as git checkout does; or write a commit out under a directory (-o).';
  static override description =
    `checkout BRANCH switches to it (as store switch). checkout COMMIT (a tag, HEAD~N, an id) detaches HEAD there (as store switch --detach). checkout COMMIT PATH... restores those paths from the commit into the work tree and the staging area. checkout [--] PATH... restores them from the staging area (as store restore). Content is verified, byte-exact; modes, symlinks and modification times are restored. Files with uncommitted changes are not overwritten unless --force (a deleted file is simply written back). With -o DIR, the commit's files (HEAD by default) go under DIR and nothing else changes.

${EXIT_STATUS_HELP}`;
  static override examples = [
    '<%= config.bin %> checkout HEAD~3 -o /tmp/old',
    '<%= config.bin %> checkout v1 docs/',
    '<%= config.bin %> checkout -- notes.txt',
    '<%= config.bin %> checkout -b experiment',
  ];
  static override strict = false;
  static override args = {
    commit: Args.string({ description: 'branch or commit (branch, tag, HEAD~N, id or prefix), or a path' }),
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
    const words = argv as string[];
    // Words after `--` are paths (git's disambiguation; oclif drops the `--` itself): all of them, or all but a revision before it.
    const pathsOnly = wordsAfterSeparator() === words.length;
    if (this.flags.output !== undefined) {
      const [revision = 'HEAD', ...paths] = words;
      return this.restoreCommit(repo, revision, paths, this.flags.output);
    }
    if (words.length === 0) throw new StoreError('INVALID_ARGUMENT', 'checkout needs a branch, a commit or paths', { hint: 'see `store checkout --help`' });
    const [first, ...rest] = words as [string, ...string[]];
    if (!pathsOnly && namesCommit(repo, first)) {
      if (rest.length > 0) return this.restoreCommit(repo, first, rest, undefined);
      if (repo.refs.read(`refs/heads/${first}`) !== undefined) {
        const result = await switchBranch(repo, { branch: first, create: false, force: this.flags.force, cwd: process.cwd() });
        if (this.flags.json) return this.printJson(result);
        return this.say(`Switched to branch '${first}'`);
      }
      const result = await detachHead(repo, { revision: first, force: this.flags.force, cwd: process.cwd() });
      if (this.flags.json) return this.printJson(result);
      return this.say(`HEAD is now at ${result.commitId.slice(0, 12)} (detached: commits made here are on no branch; \`store switch -c NAME\` makes one)`);
    }
    const result = await restoreWorkTreePaths(repo, { paths: words, cwd: process.cwd(), force: this.flags.force });
    if (this.flags.json) return this.printJson(result);
    this.say(`restored ${countOf(result.restored.length, 'file')} from the staging area`);
  }

  private async restoreCommit(repo: Repository, revision: string, paths: string[], outputDirectory: string | undefined): Promise<void> {
    const result = await checkoutCommit(repo, {
      revision,
      paths,
      cwd: process.cwd(),
      outputDirectory,
      force: this.flags.force,
      listWritten: this.flags.json === true, // a million paths are a million strings: only --json lists them (the flag is undefined when not given)
    });
    if (this.flags.json) return this.printJson(result);
    this.say(
      `restored ${countOf(result.writtenCount, 'file')} from ${result.commitId.slice(0, 12)}${result.removed.length > 0 ? `, removed ${result.removed.length}` : ''}`,
    );
  }
}

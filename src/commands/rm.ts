import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { StoreError } from '../core/errors.js';
import { removePaths } from '../engine/reset.js';
import { quotePath } from '../core/path-bytes.js';

export default class Rm extends BaseCommand<typeof Rm> {
  static override summary = 'Remove files from the staging area and the work tree (refusing to lose changes no commit holds, unless -f).';
  static override description = EXIT_STATUS_HELP;
  static override strict = false;
  static override args = { paths: Args.string({ description: 'tracked paths to remove' }) };
  static override flags = {
    cached: Flags.boolean({ description: 'only unstage; keep the files in the work tree' }),
    recursive: Flags.boolean({ char: 'r', description: 'allow removing a directory' }),
    force: Flags.boolean({ char: 'f', description: 'remove even files with changes no commit holds (staged, or modified in the work tree)' }),
  };

  async run(): Promise<void> {
    const { argv } = await this.parse(Rm);
    const paths = argv as string[];
    if (paths.length === 0) throw new StoreError('INVALID_ARGUMENT', 'no paths given', { hint: 'store rm PATH...' });
    const result = await removePaths(this.openRepository(), {
      paths,
      cwd: process.cwd(),
      cached: this.flags.cached,
      recursive: this.flags.recursive,
      force: this.flags.force,
    });
    if (this.flags.json) return this.printJson(result);
    this.say(result.removed.map((path) => (quotePath(path) === path ? `rm '${path}'` : `rm ${quotePath(path)}`)).join('\n'));
  }
}

import * as Args from '@oclif/core/args';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { resetStaging } from '../engine/reset.js';
import { CHANGE_LETTER } from '../cli/format.js';

export default class Reset extends BaseCommand<typeof Reset> {
  static override summary = 'Unstage: make the staging area match HEAD for PATHs (or everything).';
  static override description =
    `The work tree is not touched. Also rebuilds a damaged staging area from HEAD (with no PATH).\n\nThen, as git, it lists under "Unstaged changes after reset:" the files it reset that are tracked and differ in the work tree (M modified, D deleted, T type changed); unlike git, files it did not reset are not listed (store status shows them).\n\n${EXIT_STATUS_HELP}`;
  static override strict = false;
  static override args = { paths: Args.string({ description: 'paths to unstage (default: all)' }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Reset);
    const result = await resetStaging(this.openRepository(), { paths: argv as string[], cwd: process.cwd() });
    if (this.flags.json) return this.printJson(result);
    // As git: the tracked files that now differ from the staging area, with git's letters.
    if (result.unstaged.length > 0)
      this.say(`Unstaged changes after reset:\n${result.unstaged.map(({ path, change }) => `${CHANGE_LETTER[change]}\t${path}`).join('\n')}`);
  }
}

import * as Args from '@oclif/core/args';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { resetStaging } from '../engine/reset.js';

export default class Reset extends BaseCommand<typeof Reset> {
  static override summary = 'Unstage: make the staging area match HEAD for PATHs (or everything).';
  static override description = `The work tree is not touched. Also rebuilds a damaged staging area from HEAD (with no PATH).\n\n${EXIT_STATUS_HELP}`;
  static override strict = false;
  static override args = { paths: Args.string({ description: 'paths to unstage (default: all)' }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Reset);
    const result = await resetStaging(this.openRepository(), { paths: argv as string[], cwd: process.cwd() });
    if (this.flags.json) return this.printJson(result);
    if (result.reset.length > 0) this.say(`Unstaged changes after reset:\n${result.reset.map((path) => `\t${path}`).join('\n')}`);
  }
}

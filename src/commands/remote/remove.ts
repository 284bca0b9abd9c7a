import * as Args from '@oclif/core/args';
import { BaseCommand, EXIT_STATUS_HELP } from '../../cli/base-command.js';
import { remotes } from '../../engine/remote.js';

export default class RemoteRemove extends BaseCommand<typeof RemoteRemove> {
  static override summary = 'Forget a remote and its remote-tracking branches (the remote itself is not touched).';
  static override description = EXIT_STATUS_HELP;
  static override args = { name: Args.string({ description: 'name of the remote', required: true }) };

  async run(): Promise<void> {
    await remotes.remove(this.openRepository(), this.args.name);
    if (this.flags.json) this.printJson({ removed: this.args.name });
    else this.say(`Removed remote ${this.args.name}`);
  }
}

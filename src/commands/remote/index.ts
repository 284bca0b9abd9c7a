import { BaseCommand, EXIT_STATUS_HELP } from '../../cli/base-command.js';
import { remotes } from '../../engine/remote.js';

export default class Remote extends BaseCommand<typeof Remote> {
  static override summary = 'List the remotes (also `store remote list`); `remote add` and `remote remove` change them.';
  static override description =
    `Remotes are repositories on S3-compatible object storage (s3://BUCKET/PREFIX). Credentials come from the standard AWS variables and files (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ...); store never records them.\n\n${EXIT_STATUS_HELP}`;

  async run(): Promise<void> {
    const list = remotes.list(this.openRepository());
    if (this.flags.json) return this.printJson(list);
    this.say(list.map((remote) => `${remote.name}\t${remote.url}${remote.endpoint === undefined ? '' : ` (${remote.endpoint})`}`).join('\n'));
  }
}

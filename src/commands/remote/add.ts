import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../../cli/base-command.js';
import { remotes } from '../../engine/remote.js';

export default class RemoteAdd extends BaseCommand<typeof RemoteAdd> {
  static override summary = 'Add a remote: a repository on S3-compatible object storage.';
  static override description =
    `URL is s3://BUCKET or s3://BUCKET/PREFIX. For servers other than AWS give --endpoint (path-style addressing is then the default). Nothing is sent until the first push.\n\n${EXIT_STATUS_HELP}`;
  static override examples = ['<%= config.bin %> remote add origin s3://backups/photos --endpoint http://127.0.0.1:7480'];
  static override args = {
    name: Args.string({ description: 'name of the remote (origin, ...)', required: true }),
    url: Args.string({ description: 's3://BUCKET[/PREFIX]', required: true }),
  };
  static override flags = {
    endpoint: Flags.string({ description: 'the server, for S3-compatible storage other than AWS (http(s)://HOST[:PORT])' }),
    region: Flags.string({ description: 'region (default: AWS_REGION, or us-east-1)' }),
    'path-style': Flags.boolean({ description: 'address buckets as ENDPOINT/BUCKET (the default with --endpoint)', allowNo: true }),
  };

  async run(): Promise<void> {
    const added = await remotes.add(this.openRepository(), {
      name: this.args.name,
      url: this.args.url,
      endpoint: this.flags.endpoint,
      region: this.flags.region,
      pathStyle: this.flags['path-style'],
    });
    if (this.flags.json) this.printJson(added);
    else this.say(`Added remote ${added.name} (${added.url})`);
  }
}

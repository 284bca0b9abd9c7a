import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { countOf, formatBytes } from '../cli/format.js';
import { createTransferProgress } from '../cli/progress.js';
import { checkoutCommit } from '../engine/checkout.js';
import { cloneRemote } from '../engine/clone.js';

export default class Clone extends BaseCommand<typeof Clone> {
  static override summary = 'Make a new repository from a remote: its packs, its branches as origin/*, and the work tree of the branch its HEAD names.';
  static override description = `DIR must be new or empty; on failure it is removed again.\n\n${EXIT_STATUS_HELP}`;
  static override examples = ['<%= config.bin %> clone s3://backups/photos photos --endpoint http://127.0.0.1:7480'];
  static override args = {
    url: Args.string({ description: 's3://BUCKET[/PREFIX]', required: true }),
    directory: Args.string({ description: "where (default: the prefix's last part, or the bucket)" }),
  };
  static override flags = {
    endpoint: Flags.string({ description: 'the server, for S3-compatible storage other than AWS (http(s)://HOST[:PORT])' }),
    region: Flags.string({ description: 'region (default: AWS_REGION, or us-east-1)' }),
    'path-style': Flags.boolean({ description: 'address buckets as ENDPOINT/BUCKET (the default with --endpoint)', allowNo: true }),
  };

  async run(): Promise<void> {
    const progress = await createTransferProgress(!this.flags.quiet && !this.flags.json);
    let cloned;
    try {
      cloned = await cloneRemote({
        url: this.args.url,
        directory: this.args.directory,
        cwd: process.cwd(),
        endpoint: this.flags.endpoint,
        region: this.flags.region,
        pathStyle: this.flags['path-style'],
        onProgress: (p) => progress.update(p),
      });
    } finally {
      progress.stop();
    }
    let written = 0;
    if (cloned.commitId !== undefined) {
      const result = await checkoutCommit(cloned.repo, { revision: cloned.commitId, paths: [], cwd: cloned.directory, force: false, listWritten: false });
      written = result.writtenCount;
    }
    const summary = {
      directory: cloned.directory,
      url: cloned.fetched.url,
      branch: cloned.branch,
      commitId: cloned.commitId,
      filesWritten: written,
      packsReceived: cloned.fetched.packsReceived,
      bytesReceived: cloned.fetched.bytesReceived,
    };
    if (this.flags.json) return this.printJson(summary);
    this.say(
      `Cloned ${summary.url} into ${summary.directory}: ${countOf(summary.packsReceived, 'pack')}, ${formatBytes(summary.bytesReceived)}${summary.branch === undefined ? ' (an empty remote: no branch yet)' : `, branch ${summary.branch} checked out (${countOf(written, 'file')})`}`,
    );
  }
}

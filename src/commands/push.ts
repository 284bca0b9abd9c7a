import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { formatBytes } from '../cli/format.js';
import { createTransferProgress } from '../cli/progress.js';
import { pushToRemote } from '../engine/push.js';

export default class Push extends BaseCommand<typeof Push> {
  static override summary = 'Send branches (and tags) to a remote: the packs it lacks, then the refs.';
  static override description =
    `Pushes the current branch by default. All or nothing: a remote branch that is not an ancestor of the local one is refused (status 11) unless --force; so is a push that loses a race with another pusher to the same branch. Packs go up first, each once; the ref moves last, by compare-and-swap.\n\n${EXIT_STATUS_HELP}`;
  static override strict = false;
  static override args = {
    remote: Args.string({ description: 'remote (default: the only one, or origin)' }),
    branch: Args.string({ description: 'branches to push (default: the current one)' }),
  };
  static override flags = {
    all: Flags.boolean({ description: 'push every branch' }),
    tags: Flags.boolean({ description: 'push every tag too' }),
    force: Flags.boolean({ char: 'f', description: 'replace remote refs that are not ancestors of the local ones (still refused if they moved since read)' }),
  };

  async run(): Promise<void> {
    const [remote, ...branches] = this.argv.filter((arg) => !arg.startsWith('-'));
    const progress = await createTransferProgress(!this.flags.quiet && !this.flags.json);
    let result;
    try {
      result = await pushToRemote(this.openRepository(), {
        remote,
        branches,
        all: this.flags.all,
        tags: this.flags.tags,
        force: this.flags.force,
        onProgress: (p) => progress.update(p),
      });
    } finally {
      progress.stop();
    }
    if (this.flags.json) return this.printJson(result);
    const lines = [`To ${result.url}`];
    for (const ref of result.refs) {
      const name = ref.ref.replace(/^refs\/(heads|tags)\//, '');
      const span = ref.from === undefined ? '[new]' : ref.status === 'up to date' ? '' : `${ref.from.slice(0, 12)}..${ref.to.slice(0, 12)}`;
      lines.push(`   ${ref.status.padEnd(12)} ${span.padEnd(27)} ${name} -> ${name}`);
    }
    lines.push(`${result.packsSent} pack(s) sent (${formatBytes(result.bytesSent)}), ${result.packsAlreadyThere} already there`);
    this.say(lines.join('\n'));
  }
}

import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { createTransferProgress } from '../cli/progress.js';
import { checkoutCommit } from '../engine/checkout.js';
import { planPull } from '../engine/pull.js';
import { describeFetch } from './fetch.js';

export default class Pull extends BaseCommand<typeof Pull> {
  static override summary = 'Fetch, then fast-forward the current branch to REMOTE/BRANCH: the work tree follows, as with switch.';
  static override description =
    `Fast-forward only: branches that have diverged are refused (status 11). Never overwrites uncommitted changes to tracked files (status 1) unless --force.\n\n${EXIT_STATUS_HELP}`;
  static override args = {
    remote: Args.string({ description: 'remote (default: the only one, or origin)' }),
    branch: Args.string({ description: "the remote's branch (default: the current branch's name)" }),
  };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'discard uncommitted changes to tracked files' }),
  };

  async run(): Promise<void> {
    const repo = this.openRepository();
    const progress = await createTransferProgress(!this.flags.quiet && !this.flags.json);
    let plan;
    try {
      plan = await planPull(repo, { remote: this.args.remote, branch: this.args.branch, onProgress: (p) => progress.update(p) });
    } finally {
      progress.stop();
    }
    if (!plan.upToDate) {
      const headRef = repo.refs.headRef();
      // The branch moves under the lock that covered the restore, as switch moves HEAD.
      await checkoutCommit(repo, {
        revision: plan.to,
        paths: [],
        cwd: process.cwd(),
        force: this.flags.force,
        listWritten: false,
        thenUnderLock: () => repo.refs.update(headRef, plan.to),
      });
    }
    const { fetched, ...rest } = plan;
    if (this.flags.json) return this.printJson({ ...rest, fetched });
    this.say(
      `${describeFetch(fetched)}\n${plan.upToDate ? 'Already up to date.' : `Fast-forward ${plan.branch} ${plan.from?.slice(0, 12) ?? '(none)'}..${plan.to.slice(0, 12)} (${plan.upstream})`}`,
    );
  }
}

import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { createRef, deleteRef } from '../engine/ref-names.js';

export default class Branch extends BaseCommand<typeof Branch> {
  static override summary = 'List, create or delete branches.';
  static override description =
    `With no NAME, lists branches (* marks the current one). With NAME, creates a branch at START (default HEAD). Refs are replaced atomically.\n\n${EXIT_STATUS_HELP}`;
  static override args = {
    name: Args.string({ description: 'branch to create or delete' }),
    start: Args.string({ description: 'commit the new branch points at (default HEAD)' }),
  };
  static override flags = {
    delete: Flags.boolean({ char: 'd', description: "delete the branch (not the current one), if HEAD's history holds its commits" }),
    'force-delete': Flags.boolean({ char: 'D', description: "delete the branch even if HEAD's history does not hold its commits (gc may then free them)" }),
    remotes: Flags.boolean({ char: 'r', description: 'list the remote-tracking branches (REMOTE/BRANCH, as last fetched or pushed)' }),
  };

  async run(): Promise<void> {
    const repo = this.openRepository();
    const current = repo.refs.currentBranch();
    const { name, start } = this.args;
    if (this.flags.remotes) {
      const list = repo.refs.remoteTrackingNames().map((tracking) => ({ name: tracking, commitId: repo.refs.read(`refs/remotes/${tracking}`) }));
      if (this.flags.json) return this.printJson(list);
      return this.say(list.map((branch) => `  ${branch.name}`).join('\n'));
    }
    if (name === undefined) {
      const branches = repo.refs.branches();
      if (current !== undefined && !branches.includes(current)) branches.push(current); // a branch with no commit yet
      const list = branches.sort().map((branch) => ({ name: branch, current: branch === current, commitId: repo.refs.read(`refs/heads/${branch}`) }));
      if (this.flags.json) return this.printJson(list);
      // As git lists a detached HEAD: first, in parentheses.
      const detached = current === undefined ? [`* (HEAD detached at ${repo.refs.headCommit()?.slice(0, 12)})`] : [];
      return this.say([...detached, ...list.map((branch) => `${branch.current ? '*' : ' '} ${branch.name}`)].join('\n'));
    }
    const deleting = this.flags.delete || this.flags['force-delete'];
    if (deleting) await deleteRef(repo, 'branch', name, { force: this.flags['force-delete'] });
    else await createRef(repo, 'branch', name, start);
    const ref = `refs/heads/${name}`;
    if (this.flags.json) this.printJson({ name, deleted: deleting, commitId: repo.refs.read(ref) });
    else this.say(deleting ? `Deleted branch ${name}` : `Created branch ${name}`);
  }
}

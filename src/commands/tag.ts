import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { createRef, deleteRef } from '../engine/ref-names.js';

export default class Tag extends BaseCommand<typeof Tag> {
  static override summary = 'List, create or delete tags (names for commits).';
  static override description =
    `A tag keeps its commit, and all history before it, from gc. Usable wherever a revision is: \`store get FILE --at v1\`.\n\n${EXIT_STATUS_HELP}`;
  static override args = {
    name: Args.string({ description: 'tag to create or delete' }),
    commit: Args.string({ description: 'commit to tag (default HEAD)' }),
  };
  static override flags = {
    delete: Flags.boolean({ char: 'd', description: 'delete the tag' }),
  };

  async run(): Promise<void> {
    const repo = this.openRepository();
    const { name, commit } = this.args;
    if (name === undefined) {
      const list = repo.refs.tags().map((tag) => ({ name: tag, commitId: repo.refs.read(`refs/tags/${tag}`) }));
      if (this.flags.json) return this.printJson(list);
      if (list.length > 0) this.say(list.map((tag) => tag.name).join('\n'));
      return;
    }
    if (this.flags.delete) await deleteRef(repo, 'tag', name);
    else await createRef(repo, 'tag', name, commit);
    const ref = `refs/tags/${name}`;
    if (this.flags.json) this.printJson({ name, deleted: this.flags.delete, commitId: repo.refs.read(ref) });
    else if (this.flags.delete) this.say(`Deleted tag ${name}`);
  }
}

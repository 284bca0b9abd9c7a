import * as Args from '@oclif/core/args';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { formatBytes } from '../cli/format.js';
import { createTransferProgress } from '../cli/progress.js';
import { fetchRemote, type FetchResult } from '../engine/fetch.js';

export default class Fetch extends BaseCommand<typeof Fetch> {
  static override summary = "Get a remote's new packs and refs: its branches become REMOTE/BRANCH (see `branch -r`).";
  static override description =
    `Every pack is checked against its name (the BLAKE3 of its bytes) before it joins the repository, and its file maps and commits against their ids; a damaged object is named (status 8) and nothing of it is kept. Every other blob is checked whenever it is read, as always. The work tree and local branches are not touched.\n\n${EXIT_STATUS_HELP}`;
  static override args = { remote: Args.string({ description: 'remote (default: the only one, or origin)' }) };

  async run(): Promise<void> {
    const progress = await createTransferProgress(!this.flags.quiet && !this.flags.json);
    let result;
    try {
      result = await fetchRemote(this.openRepository(), { remote: this.args.remote, onProgress: (p) => progress.update(p) });
    } finally {
      progress.stop();
    }
    if (this.flags.json) return this.printJson(result);
    this.say(describeFetch(result));
  }
}

export function describeFetch(result: FetchResult): string {
  const lines = [`From ${result.url}`];
  for (const ref of result.updated) {
    const name = ref.ref.replace(/^refs\/(remotes|tags)\//, '');
    lines.push(`   ${ref.from === undefined ? '[new]'.padEnd(27) : `${ref.from.slice(0, 12)}..${ref.to.slice(0, 12)}`} ${name}`);
  }
  for (const tag of result.tagsKept) lines.push(`   [kept]    tag ${tag}: the local one differs from the remote's`);
  lines.push(`${result.packsReceived} pack(s) received (${formatBytes(result.bytesReceived)})`);
  return lines.join('\n');
}

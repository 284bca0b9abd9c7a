import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { formatBytes, shortId } from '../cli/format.js';
import { readLog } from '../engine/log.js';

export default class Log extends BaseCommand<typeof Log> {
  static override summary = 'Show the commit history, newest first.';
  static override description = EXIT_STATUS_HELP;
  static override args = {
    revision: Args.string({ description: 'commit to start from (branch, HEAD~N, id or prefix)' }),
  };
  static override flags = {
    oneline: Flags.boolean({ description: 'one line per commit: short id and subject' }),
    'max-count': Flags.integer({ char: 'n', description: 'show at most N commits', min: 0 }),
  };

  async run(): Promise<void> {
    const entries = readLog(this.openRepository(), { start: this.args.revision, limit: this.flags['max-count'] });
    if (this.flags.json) return this.printJson(entries);
    const lines = entries.map((entry) =>
      this.flags.oneline
        ? `${shortId(entry.commitId)} ${entry.message.split('\n')[0]}`
        : [
            `commit ${entry.commitId}`,
            `Author: ${entry.author}`,
            `Date:   ${entry.time}`,
            `Files:  ${entry.fileCount} (${formatBytes(entry.logicalBytes)})`,
            '',
            ...entry.message.split('\n').map((line) => `    ${line}`),
            '',
          ].join('\n'),
    );
    if (lines.length > 0) this.say(lines.join('\n'));
  }
}

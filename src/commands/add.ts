import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { addSummary, reportAddProblems } from '../cli/add-report.js';
import { ExitStatus, StoreError } from '../core/errors.js';
import { createIngestProgress } from '../cli/progress.js';
import { addToStaging } from '../engine/add.js';

export default class Add extends BaseCommand<typeof Add> {
  static override summary = 'Stage files: store new content and record what the next commit holds.';
  static override description =
    `Directories are added recursively; .storeignore files (gitignore syntax) are honoured; symlinks are stored as links. Files whose size, mtime, ctime and inode match the staging area are not read again.\n\n${EXIT_STATUS_HELP}`;
  static override examples = ['<%= config.bin %> add -A', '<%= config.bin %> add src README.md'];
  static override strict = false;
  static override args = {
    paths: Args.string({ description: 'files or directories to stage' }),
  };
  static override flags = {
    all: Flags.boolean({ char: 'A', description: 'stage the whole work tree, including removals' }),
    force: Flags.boolean({ char: 'f', description: 'add paths even where .storeignore excludes them' }),
    jobs: Flags.integer({ char: 'j', description: 'worker threads at most (default: one per core; 0: none); the workload class decides how many', min: 0 }),
  };

  async run(): Promise<void> {
    const { argv } = await this.parse(Add);
    const paths = argv as string[];
    if (!this.flags.all && paths.length === 0) {
      throw new StoreError('INVALID_ARGUMENT', 'nothing specified, nothing added', { hint: 'use `store add PATH...` or `store add -A`' });
    }
    const repo = this.openRepository();
    const progress = await createIngestProgress(!this.flags.quiet && !this.flags.json);
    let result;
    try {
      result = await addToStaging(repo, {
        all: this.flags.all,
        paths,
        cwd: process.cwd(),
        jobs: this.flags.jobs,
        force: this.flags.force,
        listPaths: this.flags.json,
        onProgress: (p) => progress.update(p),
      });
    } finally {
      progress.stop();
    }
    if (this.flags.json) this.printJson(result);
    else {
      reportAddProblems(result, (message) => this.notice(message));
      this.say(addSummary(result));
    }
    if (result.failed.length > 0) this.exitWith(ExitStatus.PARTIAL);
  }
}

import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { OutputBuffer, writeToStdout } from '../cli/output-buffer.js';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { writeNameOnly, writeNameStatus, writePatches, writeStat } from '../cli/patch-output.js';
import { diffCommits } from '../engine/diff.js';
import { resolveCommit } from '../engine/history/revisions.js';
import { decorations, readLog } from '../engine/log.js';
import { contentReader, withRenames } from '../engine/diff.js';
import { resolveGetTarget, streamGetTarget } from '../engine/restore/stream.js';
import { formatCommit } from '../cli/commit-format.js';

export default class Show extends BaseCommand<typeof Show> {
  static override summary = 'Show a commit (its message and its patch against its parent), or a file of a commit (COMMIT:PATH).';
  static override description =
    `As git show: show COMMIT prints the commit as log does, then what it changed from its parent (a unified patch; --stat, --name-status or --name-only instead), renames found as diff -M finds them. show COMMIT:PATH writes that file's content to stdout, verified; the path is from the repository's root (./PATH or ../PATH: from the current directory).

${EXIT_STATUS_HELP}`;
  static override examples = ['<%= config.bin %> show', '<%= config.bin %> show v1 --stat', '<%= config.bin %> show HEAD~2:docs/notes.txt'];
  static override args = { object: Args.string({ description: 'COMMIT (default HEAD) or COMMIT:PATH' }) };
  static override flags = {
    stat: Flags.boolean({ description: 'lines added and removed per file instead of the patch' }),
    'name-status': Flags.boolean({ description: 'status letter and path per file instead of the patch' }),
    'name-only': Flags.boolean({ description: 'the paths changed instead of the patch' }),
  };

  async run(): Promise<void> {
    const repo = this.openRepository();
    const object = this.args.object ?? 'HEAD';
    const colon = object.indexOf(':');
    if (colon >= 0) {
      const path = object.slice(colon + 1);
      const relativeToHere = path.startsWith('./') || path.startsWith('../');
      const target = resolveGetTarget(repo, path, { at: object.slice(0, colon) || 'HEAD', cwd: relativeToHere ? process.cwd() : repo.workTree });
      await streamGetTarget(repo, target, writeToStdout);
      return;
    }
    const commitId = resolveCommit(repo, object);
    const [entry] = readLog(repo, { starts: [commitId], limit: 1 });
    const read = contentReader(repo, false);
    const diffs = [...(await withRenames(diffCommits(repo, entry!.parentId, commitId)(), { similarity: 50, read }))];
    if (this.flags.json) return this.printJson({ ...entry, changes: diffs });
    const out = new OutputBuffer();
    out.write(`${formatCommit('commit %H%d%nAuthor: %an%nDate:   %ad%n%n', entry!, decorations(repo).get(commitId))}`);
    out.write(
      `${entry!.message
        .split('\n')
        .map((line) => `    ${line}`)
        .join('\n')}\n\n`,
    );
    if (this.flags['name-only']) writeNameOnly(out, diffs, false);
    else if (this.flags['name-status']) writeNameStatus(out, diffs, false);
    else if (this.flags.stat) await writeStat(out, diffs, read);
    else await writePatches(out, diffs, read);
    out.flush();
  }
}

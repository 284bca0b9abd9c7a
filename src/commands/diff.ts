import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { OutputBuffer } from '../cli/output-buffer.js';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { revisionsAndPaths } from '../cli/revision-words.js';
import { writeNameOnly, writeNameStatus, writePatches, writeStat } from '../cli/patch-output.js';
import { ExitStatus, StoreError } from '../core/errors.js';
import { commitSide, diffCommits, diffSides, diffWorkTree, headSide, stagingSide, workTreeSide, type FileDiff } from '../engine/diff.js';
import { contentReader, withRenames } from '../engine/diff.js';
import { isWithin, toRepoPath } from '../engine/worktree/paths.js';

export default class Diff extends BaseCommand<typeof Diff> {
  static override summary = 'Show changes: work tree vs staging area, staging vs HEAD, or between commits.';
  static override description =
    `store diff: work tree against the staging area. store diff --staged: staging area against HEAD. store diff A: commit A against the work tree. store diff A B: commit A against commit B. Paths after -- (or words that name no commit) limit the diff to them.

The output is git's: a unified patch for text (binary files, and files over 8 MiB, say that they differ), --stat with lines added and removed, --name-status, --name-only (-z: NUL-separated, names unquoted). Paths are relative to the repository's root, as git's. A file moved with its content unchanged is a rename (R100); -M also pairs files whose lines are at least --rename-threshold percent alike (default 50); -M<n> and --find-renames=<n> set it as git's do (-M75% or -M75 is 75%, -M5 is 50%: without %, a fraction with its point before the digits). --quiet prints nothing; with it or --exit-code, the status is 1 if there are differences, 0 if none.

${EXIT_STATUS_HELP}`;
  static override examples = [
    '<%= config.bin %> diff',
    '<%= config.bin %> diff --staged --stat',
    '<%= config.bin %> diff v1 HEAD -- docs/',
    '<%= config.bin %> diff --name-status -M HEAD~1 HEAD',
  ];
  static override strict = false;
  static override args = {
    from: Args.string({ description: 'first commit' }),
    to: Args.string({ description: 'second commit' }),
  };
  static override flags = {
    staged: Flags.boolean({ description: 'staging area against HEAD', aliases: ['cached'] }),
    'name-status': Flags.boolean({ description: 'one line per file: status letter and path' }),
    'name-only': Flags.boolean({ description: 'one line per file: its path' }),
    stat: Flags.boolean({ description: 'per file: lines added and removed; and a summary line' }),
    z: Flags.boolean({ char: 'z', description: 'with --name-status or --name-only: NUL after each field, names unquoted' }),
    'find-renames': Flags.boolean({ char: 'M', description: 'also pair files whose lines are alike as renames (see --rename-threshold)' }),
    'rename-threshold': Flags.integer({ description: 'with -M: how alike, in percent of the larger file', min: 0, max: 100, default: 50 }),
    'exit-code': Flags.boolean({ description: 'exit with status 1 if there are differences, 0 if none (implied by --quiet, which prints nothing)' }),
  };

  public override async init(): Promise<void> {
    this.argv = withRenameThresholds(this.argv);
    await super.init();
  }

  async run(): Promise<void> {
    const { argv } = await this.parse(Diff);
    const repo = this.openRepository();
    const { revisions, paths } = revisionsAndPaths(repo, argv as string[]);
    const scopes = paths.map((path) => toRepoPath(repo.workTree, process.cwd(), path));
    const [from, to] = revisions;
    if (revisions.length > 2) throw new StoreError('INVALID_ARGUMENT', 'diff compares at most two commits');
    if (this.flags.staged && to !== undefined) throw new StoreError('INVALID_ARGUMENT', '--staged compares the staging area with one commit, not two');
    const compared: () => Iterable<FileDiff> =
      to !== undefined
        ? diffCommits(repo, from!, to)
        : this.flags.staged
          ? () => diffSides(from === undefined ? headSide(repo) : commitSide(repo, from), stagingSide(repo))
          : from === undefined
            ? () => diffWorkTree(repo)
            : () => diffSides(commitSide(repo, from), workTreeSide(repo));
    const inScope = (diff: FileDiff): boolean =>
      scopes.length === 0 || scopes.some((scope) => isWithin(diff.path, scope) || (diff.oldPath !== undefined && isWithin(diff.oldPath, scope)));
    // git diff --quiet: the answer is the exit status alone, known at the first difference.
    if (this.flags.quiet) {
      for (const diff of compared()) if (inScope(diff)) return this.exitWith(ExitStatus.FAILURE);
      return;
    }
    const read = contentReader(repo, to === undefined && !this.flags.staged);
    const similarity = this.flags['find-renames'] ? this.flags['rename-threshold'] : undefined;
    let differs = false;
    const inScopeSeen = function* (): Generator<FileDiff> {
      for (const diff of compared()) {
        if (!inScope(diff)) continue;
        differs = true;
        yield diff;
      }
    };
    const diffs = await withRenames(inScopeSeen(), { similarity, read });
    const out = new OutputBuffer();
    if (this.flags.json) this.printJsonArray(diffs);
    else if (this.flags['name-only']) writeNameOnly(out, diffs, this.flags.z);
    else if (this.flags['name-status']) writeNameStatus(out, diffs, this.flags.z);
    else if (this.flags.stat) await writeStat(out, [...diffs], read);
    else await writePatches(out, diffs, read);
    out.flush();
    if (this.flags['exit-code'] && differs) this.exitWith(ExitStatus.FAILURE);
  }
}

/**
 * git's -M<n> and --find-renames=<n>, which oclif cannot parse (it has no flag with an optional
 * value), as -M and --rename-threshold. As in git, n with % is a percentage and without it a fraction
 * whose point stands before the digits: -M75 and -M75% are 75%, -M5 is 50%, -M05 is 5%.
 */
export function withRenameThresholds(argv: string[]): string[] {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  return argv.flatMap((word, index) => {
    const threshold = index < end ? /^(?:-M|--find-renames=)(\d+)(%?)$/u.exec(word) : null;
    if (threshold === null) return [word];
    const [, digits, percentSign] = threshold;
    const percent = percentSign === '%' ? Number(digits) : Math.round(Number(`0.${digits}`) * 100);
    return ['-M', `--rename-threshold=${percent}`];
  });
}

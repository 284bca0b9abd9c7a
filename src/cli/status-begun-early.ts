/**
 * `store status` begun before oclif starts. A status spends most of its time on the listing threads
 * (the lstat of every file), and they would start only once the command runs: after oclif's and the
 * commands' modules are evaluated, oclif has read its configuration and parsed the command line,
 * ~20 ms of one core while the other waits. So when the command line names `status`, the status is
 * begun as this module is evaluated (its start time taken, its first directories listed:
 * beginStatus): cli/main.ts imports it first, so that only the modules a status needs come before.
 * The command takes it when it opens the same repository. Nothing is written or reported here:
 * whatever fails is left for the command to meet and report.
 */
import { resolve } from 'node:path';
import { RepositoryLayout } from '../repository/layout.js';
import { Repository } from '../repository/repository.js';
import { beginStatus, type StatusStart } from '../engine/worktree/status.js';

let begunEarly: StatusStart | undefined;

/** Begins a status when `argv` (process.argv) runs the status command, unless it asks for help. */
export function beginStatusEarly(argv: readonly string[]): void {
  if (argv[2] !== 'status') return;
  const options = argv.slice(3, argv.includes('--') ? argv.indexOf('--') : undefined);
  if (options.some((option) => option === '--help' || option === '-h')) return;
  try {
    const workTree = repoOption(options) ?? Repository.find(process.cwd());
    if (workTree !== undefined) begunEarly = beginStatus(new RepositoryLayout(workTree));
  } catch {
    begunEarly = undefined; // the command begins its own, and reports what fails then
  }
}

/** The status begun early, if it was begun for the repository at `workTree`; given once. */
export function takeStatusBegunEarly(workTree: string): StatusStart | undefined {
  const begun = begunEarly;
  begunEarly = undefined;
  return begun?.workTree === workTree ? begun : undefined;
}

/** --repo's value as oclif takes it (`--repo DIR` or `--repo=DIR`; the last one given), resolved. */
function repoOption(options: readonly string[]): string | undefined {
  let value: string | undefined;
  options.forEach((option, index) => {
    if (option === '--repo') value = options[index + 1];
    else if (option.startsWith('--repo=')) value = option.slice('--repo='.length);
  });
  return value === undefined ? undefined : resolve(value);
}

beginStatusEarly(process.argv);

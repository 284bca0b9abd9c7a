/**
 * The CLI as one module: the entry point that build-tools/bundle.mjs bundles (with @oclif/core) into
 * dist/bundle/store.cjs, so that a command loads one file instead of ~250, compiled from V8's code
 * cache (bin/load-bundle.js): start-up time counts for every command. `COMMANDS` is what oclif's
 * explicit command discovery reads (package.json).
 */
// First: it begins a status as it is evaluated, before the other modules are (see there).
import './status-begun-early.js';
import { readFileSync } from 'node:fs';
import { abandonAll } from '../core/abandon.js';
import { keepYoungGenerationSmall } from '../core/memory.js';
import { decodeName } from '../core/path-bytes.js';
import { ExitStatus } from '../core/errors.js';
import Add from '../commands/add.js';
import Branch from '../commands/branch.js';
import Checkout from '../commands/checkout.js';
import Clone from '../commands/clone.js';
import Commit from '../commands/commit.js';
import Diff from '../commands/diff.js';
import Fetch from '../commands/fetch.js';
import Gc from '../commands/gc.js';
import Get from '../commands/get.js';
import Init from '../commands/init.js';
import Log from '../commands/log.js';
import Proof from '../commands/proof/index.js';
import ProofVerify from '../commands/proof/verify.js';
import Pull from '../commands/pull.js';
import Push from '../commands/push.js';
import Remote from '../commands/remote/index.js';
import RemoteAdd from '../commands/remote/add.js';
import RemoteList from '../commands/remote/list.js';
import RemoteRemove from '../commands/remote/remove.js';
import Repair from '../commands/repair.js';
import Reset from '../commands/reset.js';
import Show from '../commands/show.js';
import Restore from '../commands/restore.js';
import Rm from '../commands/rm.js';
import Stats from '../commands/stats.js';
import Status from '../commands/status.js';
import Switch from '../commands/switch.js';
import Tag from '../commands/tag.js';
import Verify from '../commands/verify.js';

export const COMMANDS = {
  add: Add,
  branch: Branch,
  checkout: Checkout,
  clone: Clone,
  commit: Commit,
  diff: Diff,
  fetch: Fetch,
  gc: Gc,
  get: Get,
  init: Init,
  log: Log,
  proof: Proof,
  'proof:verify': ProofVerify,
  pull: Pull,
  push: Push,
  remote: Remote,
  'remote:add': RemoteAdd,
  'remote:list': RemoteList,
  'remote:remove': RemoteRemove,
  repair: Repair,
  reset: Reset,
  show: Show,
  restore: Restore,
  rm: Rm,
  stats: Stats,
  status: Status,
  switch: Switch,
  tag: Tag,
  verify: Verify,
};

/**
 * oclif's command_not_found hook (package.json): git's answer to a mistyped command, as a usage
 * error (status 2) that names the nearest command, and with --json one JSON document on stdout.
 */
export async function COMMAND_NOT_FOUND(options: { id: string; argv?: string[] }): Promise<void> {
  // oclif's id runs on into the arguments (`remote ad x` is remote:ad:x): a topic's words, then one more.
  const words = options.id.split(':');
  let length = 1;
  while (length < words.length && Object.keys(COMMANDS).some((id) => id.startsWith(`${words.slice(0, length).join(':')}:`))) length++;
  const id = words.slice(0, length).join(':');
  const typed = id.replaceAll(':', ' ');
  const nearest = Object.keys(COMMANDS)
    .map((known) => ({ name: known.replaceAll(':', ' '), distance: editDistance(id, known) }))
    .sort((a, b) => a.distance - b.distance)[0];
  const message = `'${typed}' is not a store command`;
  const hint = `${nearest !== undefined && nearest.distance <= MAX_SUGGESTED_DISTANCE ? `the most similar command is \`store ${nearest.name}\`; ` : ''}see \`store --help\``;
  if (options.argv?.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { code: 'INVALID_ARGUMENT', message, hint } }, null, 2)}\n`);
  else process.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  process.exitCode = ExitStatus.USAGE;
}

/** A letter too many (3) is still a typo; two wrong letters (4) are another word. */
const MAX_SUGGESTED_DISTANCE = 3;

/**
 * git's distance from a mistyped command to a known one (help.c's weights): two adjacent letters
 * swapped cost 0, a letter missing from what was typed 1, a wrong letter 2, an extra letter 3. So
 * `stauts` is nearest `status` (plain Levenshtein found `stats` as near: one deletion).
 */
function editDistance(typed: string, known: string): number {
  const SWAPPED = 0;
  const MISSING = 1;
  const WRONG = 2;
  const EXTRA = 3;
  // rows[i][j]: the distance from typed's first i letters to known's first j.
  const rows: number[][] = [Array.from({ length: known.length + 1 }, (_, j) => j * MISSING)];
  for (let i = 1; i <= typed.length; i++) {
    const row = [i * EXTRA];
    for (let j = 1; j <= known.length; j++) {
      let best = Math.min(rows[i - 1]![j]! + EXTRA, row[j - 1]! + MISSING, rows[i - 1]![j - 1]! + (typed[i - 1] === known[j - 1] ? 0 : WRONG));
      if (i > 1 && j > 1 && typed[i - 1] === known[j - 2] && typed[i - 2] === known[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + SWAPPED);
      row.push(best);
    }
    rows.push(row);
  }
  return rows[typed.length]![known.length]!;
}

/** Runs the CLI; `packageRoot` is the directory of store's package.json, where oclif finds its configuration. */
export async function run(packageRoot: string): Promise<void> {
  keepYoungGenerationSmall();
  process.argv = argumentsAsBytes(process.argv);
  stopCleanlyOn('SIGINT', 130);
  stopCleanlyOn('SIGTERM', 143);
  // Loaded here, not imported: oclif's modules (~8 ms to evaluate) then come after a status begun
  // early (./status-begun-early.js) whatever the order of the imports above; esbuild makes this a
  // require on first use, kept in the bundle.
  const { execute } = await import('@oclif/core/execute');
  await execute({ dir: packageRoot });
}

/**
 * Ctrl-C or SIGTERM: the terminal as it was (the progress bar hides the cursor and turns off line
 * wrap), one line, the lock released and temporary files removed; then 128 + the signal's number, as
 * a shell reports. What was sealed stays: packs are renamed into place whole, the catalog commits
 * whole transactions, refs move last.
 */
function stopCleanlyOn(signal: 'SIGINT' | 'SIGTERM', status: number): void {
  process.on(signal, () => {
    if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\x1b[?7h\r\x1b[2K'); // cursor shown, line wrap on, bar line cleared
    process.stderr.write(`store: interrupted by ${signal}; the repository is as the last completed step left it\n`);
    abandonAll();
    process.exit(status);
  });
}

/**
 * Node decodes the command line as UTF-8 and replaces what is not (a name such as bad\xffname) with
 * U+FFFD: such a name could not be named. Linux keeps the bytes in /proc/self/cmdline; an argument
 * whose bytes are not UTF-8 is taken from there, as a name string (see core/path-bytes.ts).
 */
function argumentsAsBytes(argv: string[]): string[] {
  if (argv.every((argument) => !argument.includes('\ufffd'))) return argv;
  let raw: Buffer[];
  try {
    const cmdline = readFileSync('/proc/self/cmdline');
    raw = [];
    for (let start = 0; start < cmdline.length; ) {
      const end = cmdline.indexOf(0, start);
      raw.push(cmdline.subarray(start, end < 0 ? cmdline.length : end));
      start = end < 0 ? cmdline.length : end + 1;
    }
  } catch {
    return argv; // no /proc: the arguments as Node decoded them
  }
  const userArguments = argv.length - 2;
  if (raw.length < userArguments) return argv;
  const rawUser = raw.slice(raw.length - userArguments);
  // Taken only where the raw argument is the one Node decoded.
  return [
    ...argv.slice(0, 2),
    ...argv.slice(2).map((argument, index) => (rawUser[index]!.toString('utf8') === argument ? decodeName(rawUser[index]!) : argument)),
  ];
}

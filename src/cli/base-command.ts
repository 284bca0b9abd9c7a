// Sub-path imports: the package's index loads all of oclif (help, ux, ...), ~8 ms more per command.
import { Command } from '@oclif/core/command';
import * as Flags from '@oclif/core/flags';
import type { Interfaces } from '@oclif/core';
import { errnoCode, ExitStatus, StoreError } from '../core/errors.js';
import { Repository } from '../repository/repository.js';
import { encodeName } from '../core/path-bytes.js';
import { OutputBuffer } from './output-buffer.js';

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

// One status a line: oclif wraps long lines at the terminal's width, which broke phrases mid-way.
export const EXIT_STATUS_HELP = `EXIT STATUS
  0   success
  1   failure (also "nothing to commit", "would overwrite changes", differences
      found by diff --quiet or --exit-code)
  2   usage error (an unknown flag, a missing argument, an invalid value)
  3   not a repository
  4   repository, branch or tag already exists
  5   path, object or commit not found
  6   ambiguous id prefix
  7   repository locked by another writer
  8   corrupt data or an invalid proof
  9   partly done (some paths failed)
  10  unsupported repository format
  11  push rejected (not a fast-forward, or the remote branch moved meanwhile)
  12  remote unreachable or refusing (network, credentials, server errors)`;

/** Shared flags (--repo, --json, --quiet) and the one place where errors become exit statuses. */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    repo: Flags.string({ description: 'work tree of the repository (default: found by walking up from the current directory)', helpGroup: 'GLOBAL' }),
    json: Flags.boolean({ description: 'print the result as JSON on stdout, nothing else', helpGroup: 'GLOBAL' }),
    quiet: Flags.boolean({ char: 'q', description: 'print nothing but errors', helpGroup: 'GLOBAL' }),
  };

  protected flags!: BaseFlags<T>;
  protected args!: BaseArgs<T>;
  private openedRepository: Repository | undefined;

  public override async init(): Promise<void> {
    await super.init();
    const { flags, args } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as BaseFlags<T>;
    this.args = args as BaseArgs<T>;
  }

  /** Opens the repository named by --repo or found above the current directory. */
  protected openRepository(): Repository {
    this.openedRepository ??= Repository.open({
      repoPath: this.flags.repo,
      lockTimeoutMs: lockTimeoutFromEnvironment(),
      onNotice: (message) => this.notice(message),
    });
    return this.openedRepository;
  }

  /** A line for a person, on stderr: never mixed into --json output. */
  protected notice(message: string): void {
    if (!this.flags?.quiet && !this.flags?.json) process.stderr.write(`${message}\n`);
  }

  /** The human result on stdout, unless --quiet or --json. */
  protected say(message: string): void {
    if (!this.flags.quiet && !this.flags.json) process.stdout.write(`${escapeNonUtf8Bytes(message)}\n`);
  }

  /**
   * A name that is not valid UTF-8 is kept losslessly: as a string whose invalid bytes are the code
   * points U+DC80-U+DCFF (written "\\udcff", as Python's surrogateescape reads them), and, where it
   * is an object's field, beside it a field of the same name + `Base64` with its bytes.
   */
  protected printJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, withBase64OfNonUtf8, 2)}\n`);
  }

  /** printJson of an array given as a sequence: written as it comes, byte for byte what printJson writes. */
  protected printJsonArray(items: Iterable<unknown>): void {
    const out = new OutputBuffer();
    let first = true;
    for (const item of items) {
      out.write(`${first ? '[\n' : ',\n'}  ${JSON.stringify(item, withBase64OfNonUtf8, 2).replaceAll('\n', '\n  ')}`);
      first = false;
    }
    out.write(first ? '[]\n' : '\n]\n');
    out.flush();
  }

  /** say() of many lines given as a sequence: written as they come. */
  protected sayLines(lines: Iterable<string>): void {
    if (this.flags.quiet || this.flags.json) return;
    const out = new OutputBuffer();
    for (const line of lines) out.write(`${escapeNonUtf8Bytes(line)}\n`);
    out.flush();
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (!(error instanceof StoreError)) {
      const usage = usageErrorMessage(error);
      if (usage !== undefined) return this.catch(new StoreError('INVALID_ARGUMENT', usage, { hint: `see \`store ${this.id?.replaceAll(':', ' ')} --help\`` }));
      const code = errnoCode(error);
      if (code === undefined || !(code in SYSTEM_ERROR_HINTS)) return super.catch(error);
      return this.catch(new StoreError('IO_ERROR', error.message, { hint: SYSTEM_ERROR_HINTS[code], cause: error }));
    }
    // Flags not parsed yet (a flag error): --json is still honoured if it was given.
    if (this.flags?.json ?? this.argv.includes('--json')) {
      this.printJson({ error: { code: error.code, message: error.message, hint: error.hint } });
    } else {
      process.stderr.write(`error: ${escapeNonUtf8Bytes(error.message)}\n`);
      if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    }
    return this.exit(error.exitStatus);
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    this.openedRepository?.close();
    return super.finally(error);
  }

  /** Ends with an exit status other than 0 after output has been written. */
  protected exitWith(status: (typeof ExitStatus)[keyof typeof ExitStatus]): void {
    if (status !== ExitStatus.OK) this.exit(status);
  }
}

/**
 * The message of oclif's flag and argument errors (a missing required flag, an unknown flag, a value
 * not among the options), without oclif's framing: they become a usage error like store's own.
 */
function usageErrorMessage(error: Error): string | undefined {
  if (
    !('parse' in error) &&
    !/^(Missing required flag|Nonexistent flag|Unexpected argument|Expected --|Parsing --|Missing \d+ required arg)/mu.test(error.message)
  )
    return undefined;
  const lines = error.message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'The following error occurred:' && line !== 'See more help with --help');
  // "Missing 1 required arg:" then "spec  path or hash": one line, "missing 1 required arg: spec (path or hash)".
  const text = lines
    .map((line) => line.replace(/^(\S+)\s{2,}(.*)$/u, '$1 ($2)'))
    .reduce((joined, line) => (joined.endsWith(':') ? `${joined} ${line}` : `${joined}; ${line}`));
  return text.replace(/^./u, (first) => first.toLowerCase());
}

/** System errors a user can act on; the repository is left as it was before the command either way. */
const SYSTEM_ERROR_HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full; the repository is unchanged: free some space and run the command again',
  EDQUOT: 'the disk quota is exhausted; the repository is unchanged',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied; check the owner and mode of the repository files',
  EIO: 'the disk reported an I/O error',
};

function lockTimeoutFromEnvironment(): number | undefined {
  const text = process.env.STORE_LOCK_TIMEOUT_MS;
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function withBase64OfNonUtf8(this: unknown, _key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.some(([, field]) => typeof field === 'string' && !field.isWellFormed())) return value;
  const out: Record<string, unknown> = {};
  for (const [name, field] of entries) {
    out[name] = field;
    if (typeof field === 'string' && !field.isWellFormed()) out[`${name}Base64`] = encodeName(field).toString('base64');
  }
  return out;
}

/** Any byte of a name that is not UTF-8 and was printed without quotePath still shows as git shows it: \ooo. */
function escapeNonUtf8Bytes(text: string): string {
  if (text.isWellFormed()) return text;
  return text.replace(/[\udc80-\udcff]/gu, (unit) => `\\${(unit.charCodeAt(0) - 0xdc00).toString(8).padStart(3, '0')}`);
}

import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { resolve } from 'node:path';
import { writeToStdout } from '../cli/output-buffer.js';
import { BaseCommand, EXIT_STATUS_HELP } from '../cli/base-command.js';
import { StoreError } from '../core/errors.js';
import { writeFileAtomicFrom } from '../core/fs-atomic.js';
import { parseRange, resolveGetTarget, streamGetTarget } from '../engine/restore/stream.js';

export default class Get extends BaseCommand<typeof Get> {
  static override summary = 'Write a stored file to stdout or a file, by path (at any commit) or by hash.';
  static override description =
    `SPEC is a path in the commit (HEAD unless --at), or a file id (the BLAKE3 of the content, as b3sum prints it), a chunk id, or a unique prefix of at least 8 hex digits. Every chunk is verified against its hash and the whole file against its id.\n\n${EXIT_STATUS_HELP}`;
  static override examples = [
    '<%= config.bin %> get notes/todo.txt',
    '<%= config.bin %> get notes/todo.txt --at HEAD~2 -o old-todo.txt',
    '<%= config.bin %> get af1349b9 > restored.bin',
    '<%= config.bin %> get big.iso --range 0-1023 | xxd',
  ];
  static override args = {
    spec: Args.string({ description: 'path or hash', required: true }),
  };
  static override flags = {
    at: Flags.string({ description: 'commit to read PATH from (branch, HEAD~N, id or prefix)' }),
    output: Flags.string({ char: 'o', description: 'write to this file (atomically) instead of stdout' }),
    range: Flags.string({ description: 'only bytes START-END (inclusive offsets; END may be omitted)' }),
  };

  async run(): Promise<void> {
    if (this.flags.json && this.flags.output === undefined) {
      // The content is the output: JSON beside it on stdout would corrupt it.
      throw new StoreError('INVALID_ARGUMENT', '--json needs -o FILE: without it, get writes the content itself to stdout', {
        hint: 'use `store get SPEC -o FILE --json` to get what was written as JSON',
      });
    }
    const repo = this.openRepository();
    const target = resolveGetTarget(repo, this.args.spec, { at: this.flags.at, cwd: process.cwd() });
    const range = this.flags.range === undefined ? undefined : parseRange(this.flags.range, target.sizeBytes);
    if (this.flags.output === undefined) {
      await streamGetTarget(repo, target, writeToStdout, range);
      return;
    }
    // Written beside the destination and renamed into place only once every byte has been verified.
    // Not fsynced (as cp, git checkout and restic restore): the repository still holds the data.
    await writeFileAtomicFrom(resolve(this.flags.output), (write) => streamGetTarget(repo, target, write, range).then(() => undefined), {
      durable: false,
      expectedBytes: range === undefined ? target.sizeBytes : range.end + 1 - range.start,
    });
    if (this.flags.json) {
      this.printJson({
        output: resolve(this.flags.output),
        id: (target.kind === 'file' ? target.fileId : target.id).toString('hex'),
        ...(target.kind === 'file' && target.path !== undefined ? { path: target.path } : {}),
        ...(target.kind === 'file' && target.commitId !== undefined ? { commitId: target.commitId } : {}),
        sizeBytes: range === undefined ? target.sizeBytes : range.end + 1 - range.start,
        ...(range === undefined ? {} : { range: { start: range.start, end: range.end } }),
      });
    }
  }
}

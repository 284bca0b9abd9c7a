import { CorruptionError } from '../core/errors.js';
import { hashBytes, isFullHexId } from '../core/hash.js';

/**
 * A commit is a small UTF-8 text, like git's, whose BLAKE3 is the commit id:
 *   tree <hex>\n[parent <hex>\n][times <hex>\n][modes <hex>\n]author <name>\ntime <ms>\nfiles <n>\nbytes <n>\n\n<message>
 */
export interface Commit {
  treeId: string;
  parentId: string | undefined;
  /** The blob of the files' modification times, if recorded. */
  timesId?: string | undefined;
  /** The blob of the files' and directories' permission bits and hard-link groups, if recorded (format 4). */
  modesId?: string | undefined;
  author: string;
  timeMs: number;
  fileCount: number;
  logicalBytes: number;
  message: string;
}

export function encodeCommit(commit: Commit): { bytes: Buffer; id: Buffer } {
  const lines = [`tree ${commit.treeId}`];
  if (commit.parentId !== undefined) lines.push(`parent ${commit.parentId}`);
  if (commit.timesId !== undefined) lines.push(`times ${commit.timesId}`);
  if (commit.modesId !== undefined) lines.push(`modes ${commit.modesId}`);
  lines.push(
    `author ${commit.author.replace(/\n/g, ' ')}`,
    `time ${commit.timeMs}`,
    `files ${commit.fileCount}`,
    `bytes ${commit.logicalBytes}`,
    '',
    commit.message,
  );
  const bytes = Buffer.from(lines.join('\n'), 'utf8');
  return { bytes, id: hashBytes(bytes) };
}

export function decodeCommit(bytes: Buffer): Commit {
  const text = bytes.toString('utf8');
  const split = text.indexOf('\n\n');
  if (split < 0) throw new CorruptionError('CORRUPT_OBJECT', 'commit: no blank line before the message');
  const fields = new Map<string, string>();
  for (const line of text.slice(0, split).split('\n')) {
    const space = line.indexOf(' ');
    if (space < 0) throw new CorruptionError('CORRUPT_OBJECT', `commit: malformed header line "${line}"`);
    fields.set(line.slice(0, space), line.slice(space + 1));
  }
  const treeId = fields.get('tree');
  const parentId = fields.get('parent');
  const timesId = fields.get('times');
  const modesId = fields.get('modes');
  const numberField = (name: string): number => {
    const value = Number(fields.get(name));
    if (!Number.isSafeInteger(value)) throw new CorruptionError('CORRUPT_OBJECT', `commit: bad ${name} field`);
    return value;
  };
  if (
    treeId === undefined ||
    !isFullHexId(treeId) ||
    (parentId !== undefined && !isFullHexId(parentId)) ||
    (timesId !== undefined && !isFullHexId(timesId)) ||
    (modesId !== undefined && !isFullHexId(modesId))
  ) {
    throw new CorruptionError('CORRUPT_OBJECT', 'commit: bad tree, parent, times or modes id');
  }
  return {
    treeId,
    parentId,
    ...(timesId === undefined ? {} : { timesId }),
    ...(modesId === undefined ? {} : { modesId }),
    author: fields.get('author') ?? '',
    timeMs: numberField('time'),
    fileCount: numberField('files'),
    logicalBytes: numberField('bytes'),
    message: text.slice(split + 2),
  };
}

import { quotePathAscii } from '../core/path-bytes.js';
import { EntryKind } from '../core/vocabulary.js';
import { patchOf, type ContentReader, type FileDiff, type FilePatch } from '../engine/diff.js';
import type { OutputBuffer } from './output-buffer.js';
import { countOf } from './format.js';

/**
 * git's diff output, shared by `diff` and `show`: the unified patch, --stat, --name-status and
 * --name-only (NUL-separated with -z). Content lines are bytes (read as latin1, one char a byte),
 * so a patch is written out as bytes, whatever the encoding of the files.
 */

const LETTER: Record<FileDiff['change'], string> = { added: 'A', modified: 'M', deleted: 'D', typechange: 'T', renamed: 'R' };

function letterOf(diff: FileDiff): string {
  return diff.change === 'renamed' ? `R${String(diff.similarity ?? 100).padStart(3, '0')}` : LETTER[diff.change];
}

/** --name-status: "M\tpath" (renames "R100\told\tnew"); with -z, fields and records end with NUL and names are unquoted. */
export function writeNameStatus(out: OutputBuffer, diffs: Iterable<FileDiff>, nul: boolean): void {
  for (const diff of diffs) {
    const paths = diff.oldPath === undefined ? [diff.path] : [diff.oldPath, diff.path];
    if (nul) out.write(`${letterOf(diff)}\0${paths.map((path) => `${path}\0`).join('')}`);
    else out.write(`${letterOf(diff)}\t${paths.map(quotePathAscii).join('\t')}\n`);
  }
}

export function writeNameOnly(out: OutputBuffer, diffs: Iterable<FileDiff>, nul: boolean): void {
  for (const diff of diffs) out.write(nul ? `${diff.path}\0` : `${quotePathAscii(diff.path)}\n`);
}

/** The unified patch of each file, as git prints it (`diff --git`, index line, ---/+++, hunks). */
export async function writePatches(out: OutputBuffer, diffs: Iterable<FileDiff>, read: ContentReader): Promise<void> {
  for (const diff of diffs) {
    const patch = diff.change === 'renamed' && diff.similarity === 100 ? undefined : await patchOf(diff, read);
    const oldPath = diff.oldPath ?? diff.path;
    out.write(`diff --git ${quotePathAscii(`a/${oldPath}`)} ${quotePathAscii(`b/${diff.path}`)}\n`);
    if (diff.change === 'added') out.write(`new file mode ${gitMode(diff.newKind)}\n`);
    if (diff.change === 'deleted') out.write(`deleted file mode ${gitMode(diff.oldKind)}\n`);
    if (diff.change === 'typechange') out.write(`old mode ${gitMode(diff.oldKind)}\nnew mode ${gitMode(diff.newKind)}\n`);
    if (diff.change === 'renamed') {
      out.write(`similarity index ${diff.similarity}%\nrename from ${quotePathAscii(oldPath)}\nrename to ${quotePathAscii(diff.path)}\n`);
      if (patch === undefined) continue;
    }
    out.write(`index ${shortOf(diff.oldFileId)}..${shortOf(diff.newFileId)}\n`);
    if (patch!.kind !== 'text') {
      const what = patch!.kind === 'binary' ? 'Binary files' : 'Files too large for a line diff:';
      out.write(`${what} ${side(diff.oldFileId, `a/${oldPath}`)} and ${side(diff.newFileId, `b/${diff.path}`)} differ\n`);
      continue;
    }
    if (patch!.hunks.length === 0) continue;
    out.write(`--- ${side(diff.oldFileId, `a/${oldPath}`)}\n+++ ${side(diff.newFileId, `b/${diff.path}`)}\n`);
    for (const hunk of patch!.hunks) {
      out.write(`@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@\n`);
      for (const line of hunk.lines) out.writeBytes(`${line}\n`);
    }
  }
}

/** --stat: per file, its lines added and removed (binary: its sizes), then a summary line, as git's. */
export async function writeStat(out: OutputBuffer, diffs: readonly FileDiff[], read: ContentReader): Promise<void> {
  if (diffs.length === 0) return;
  const rows: { name: string; patch: FilePatch | undefined; diff: FileDiff }[] = [];
  for (const diff of diffs) {
    const name = diff.oldPath === undefined ? quotePathAscii(diff.path) : `${quotePathAscii(diff.oldPath)} => ${quotePathAscii(diff.path)}`;
    rows.push({ name, diff, patch: diff.change === 'renamed' && diff.similarity === 100 ? undefined : await patchOf(diff, read) });
  }
  const width = Math.max(...rows.map((row) => row.name.length));
  const changedLines = (row: (typeof rows)[number]): number => (row.patch?.kind === 'text' ? row.patch.insertions + row.patch.deletions : 0);
  const countWidth = Math.max(...rows.map((row) => String(changedLines(row)).length));
  const most = Math.max(1, ...rows.map(changedLines));
  const barRoom = Math.max(10, 80 - width - countWidth - 5);
  let insertions = 0;
  let deletions = 0;
  for (const row of rows) {
    const patch = row.patch;
    if (patch !== undefined && patch.kind !== 'text') {
      out.write(` ${row.name.padEnd(width)} | Bin ${row.diff.oldSizeBytes ?? 0} -> ${row.diff.newSizeBytes ?? 0} bytes\n`);
      continue;
    }
    const plus = patch?.insertions ?? 0;
    const minus = patch?.deletions ?? 0;
    insertions += plus;
    deletions += minus;
    const scale = most > barRoom ? barRoom / most : 1;
    const bar = '+'.repeat(Math.ceil(plus * scale)) + '-'.repeat(Math.ceil(minus * scale));
    out.write(` ${row.name.padEnd(width)} | ${String(plus + minus).padStart(countWidth)}${bar === '' ? '' : ` ${bar}`}\n`);
  }
  const parts = [` ${countOf(rows.length, 'file')} changed`];
  if (insertions > 0) parts.push(`${countOf(insertions, 'insertion')}(+)`);
  if (deletions > 0) parts.push(`${countOf(deletions, 'deletion')}(-)`);
  out.write(`${parts.join(', ')}\n`);
}

/** A hunk's range as git writes it: an empty one names the line before it (`-0,0` for a new file). */
function range(start: number, lines: number): string {
  if (lines === 0) return `${start - 1},0`;
  return lines === 1 ? `${start}` : `${start},${lines}`;
}

function side(id: string | undefined, path: string): string {
  return id === undefined ? '/dev/null' : quotePathAscii(path);
}

function shortOf(id: string | undefined): string {
  return id === undefined ? '0000000' : id.slice(0, 12);
}

/** git's mode numbers for the kinds a tree records. */
function gitMode(kind: EntryKind | undefined): string {
  return kind === EntryKind.Executable ? '100755' : kind === EntryKind.Symlink ? '120000' : '100644';
}

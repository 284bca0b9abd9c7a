import { chmodSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { type ErrorData, errnoCode, errorData, StoreError } from './errors.js';
import { setTimesNs } from './file-times-ns.js';
import { renameOver, temporarySibling, writeFileAtomicFrom } from './fs-atomic.js';
import { fsPath, quotePath } from './path-bytes.js';
import { EntryKind } from './vocabulary.js';

/**
 * Writing one file out of a repository, on any thread: where it goes (confined to a root), with
 * which mode and time, and what to say when it cannot be written. Where the bytes come from is the
 * caller's (`produce`): the repository on the main thread, planned chunk locations on a worker.
 */

/** One file or symlink to write (plain data: it may travel to a worker thread). */
export interface FileToRestore {
  /** The directory restored into (the work tree, or checkout's -o): nothing is written outside it. */
  root: string;
  /** The path in the commit, relative to `root`. */
  path: string;
  absolutePath: string;
  kind: EntryKind;
  /** File id (hex): BLAKE3 of the content. */
  fileId: string;
  sizeBytes: number;
  mtimeNs: bigint | undefined;
  /** Permission bits as recorded (07777); 0 where the commit recorded none: 0644, or 0755 for an executable. */
  mode: number;
}

/** A path that could not be restored, and why (plain data: it crosses threads with its code). */
export interface RestoreFailure extends ErrorData {
  path: string;
}

/** Streams a file's verified bytes to `write`, in order; `write` is done with a buffer when its promise resolves. */
export type ContentProducer = (write: (bytes: Buffer) => Promise<void>) => Promise<void>;

/** The mode a restored file gets. */
export function restoredMode(item: Pick<FileToRestore, 'kind' | 'mode'>): number {
  if (item.mode !== 0) return item.mode;
  return item.kind === EntryKind.Executable ? 0o755 : 0o644;
}

/**
 * Writes one file or symlink atomically (temporary sibling, then rename), with its mode and time to
 * the nanosecond, runs of zeros left as holes; a directory in its place is replaced.
 */
export async function restoreFile(item: FileToRestore, produce: ContentProducer, confined = new ConfinedDirectories(item.root)): Promise<void> {
  confined.makeLeadingDirectories(item.path);
  if (item.kind === EntryKind.Symlink) {
    const parts: Buffer[] = [];
    await produce(async (bytes) => {
      parts.push(Buffer.from(bytes));
    });
    const temporary = temporarySibling(item.absolutePath);
    symlinkSync(Buffer.concat(parts), fsPath(temporary));
    try {
      if (item.mtimeNs !== undefined && item.mtimeNs !== 0n) setTimesNs(temporary, item.mtimeNs, { followSymlinks: false });
      renameOver(temporary, item.absolutePath);
    } catch (error) {
      unlinkSync(fsPath(temporary));
      throw error;
    }
    return;
  }
  const mode = restoredMode(item);
  await writeFileAtomicFrom(item.absolutePath, produce, {
    mode,
    durable: false, // a restore can be repeated; thousands of fsyncs would dominate it
    expectedBytes: item.sizeBytes,
    sparse: true,
    mtimeNs: item.mtimeNs === 0n ? undefined : item.mtimeNs,
    // Writing clears the setuid and setgid bits: those are set again once the writes are done.
    beforeRename: mode & 0o7000 ? (temporary) => chmodSync(fsPath(temporary), mode) : undefined,
  });
}

/** Restores each file in turn; one that fails is reported and the others are still restored. */
export async function restoreEachFile<T extends FileToRestore>(items: Iterable<T>, producerOf: (item: T) => ContentProducer): Promise<RestoreFailure[]> {
  const failures: RestoreFailure[] = [];
  const confinedByRoot = new Map<string, ConfinedDirectories>();
  for (const item of items) {
    try {
      let confined = confinedByRoot.get(item.root);
      if (confined === undefined) confinedByRoot.set(item.root, (confined = new ConfinedDirectories(item.root)));
      await restoreFile(item, producerOf(item), confined);
    } catch (error) {
      failures.push(restoreFailure(item.path, error));
    }
  }
  return failures;
}

export function restoreFailure(path: string, error: unknown): RestoreFailure {
  return { path, ...errorData(error) };
}

/**
 * Makes the directories leading to a path under `root`, one at a time, never following a symbolic
 * link: a leading directory that is a link (or a file), whoever put it there, is an error naming it,
 * and nothing is written through it, so nothing lands outside `root` (git checks leading paths alike).
 * Names are valid (trees are checked where they are decoded), so no path climbs out with `..`.
 */
export class ConfinedDirectories {
  private readonly known = new Set<string>();

  constructor(private readonly root: string) {}

  makeLeadingDirectories(path: string): void {
    for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
      const directory = path.slice(0, slash);
      if (this.known.has(directory)) continue;
      const absolute = `${this.root}/${directory}`;
      let stats = lstatSync(fsPath(absolute), { throwIfNoEntry: false });
      if (stats === undefined) {
        try {
          mkdirSync(fsPath(absolute));
        } catch (error) {
          if (errnoCode(error) !== 'EEXIST') throw error;
        }
        stats = lstatSync(fsPath(absolute));
      }
      if (!stats.isDirectory()) {
        const what = stats.isSymbolicLink() ? 'a symbolic link' : 'not a directory';
        throw new StoreError('UNSAFE_PATH', `${quotePath(directory)} is ${what}: ${quotePath(path)} would be written through it, so it is not written`);
      }
      this.known.add(directory);
    }
  }
}

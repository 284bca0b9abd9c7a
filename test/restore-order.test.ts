import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planRestore, type RestoreItem } from '../src/engine/restore/files.js';
import { Repository } from '../src/repository/repository.js';
import { openStaging } from '../src/staging/staging-area.js';
import { inFrameOrder, type PlannedFile, restoreFiles } from '../src/workers/tasks.js';
import { pseudoRandomBytes, storeOk, temporaryDirectory } from './helpers.js';

const frameOf = (file: PlannedFile): string => `${file.chunks[0]!.packName}:${file.chunks[0]!.frameOffset}`;

describe('restoring a batch of files', () => {
  it('takes the files frame by frame (path order within a frame), writes them byte-exact, and reports failures in the order given', async () => {
    const work = temporaryDirectory('store-restore-order-');
    await storeOk(['init', '-q'], { cwd: work });
    mkdirSync(join(work, 'd'));
    const content = new Map<string, Buffer>();
    for (let index = 0; index < 200; index++) content.set(`d/f${String(index).padStart(3, '0')}`, pseudoRandomBytes(1000 + index, index));
    for (const [path, bytes] of content) writeFileSync(join(work, path), bytes);
    await storeOk(['add', '-A', '-q'], { cwd: work });
    await storeOk(['commit', '-q', '-m', 'one'], { cwd: work });
    // Every 10th file rewritten: its new content lies in a later frame than its neighbours'. (New
    // bytes throughout: an edit would be stored as a delta of the old, a frame of its own.)
    for (const path of content.keys()) {
      const index = Number(path.slice(3));
      if (index % 10 !== 0) continue;
      const bytes = pseudoRandomBytes(1000 + index, 10_000 + index);
      writeFileSync(join(work, path), bytes);
      content.set(path, bytes);
    }
    await storeOk(['add', '-A', '-q'], { cwd: work });

    const out = temporaryDirectory('store-restore-order-out-');
    const repo = Repository.open({ repoPath: work });
    try {
      const staging = openStaging(repo.layout.staging);
      const items: RestoreItem[] = [];
      for (let index = 0; index < staging.count; index++) {
        const entry = staging.entryAt(index);
        items.push({
          root: out,
          path: entry.path,
          absolutePath: join(out, entry.path),
          kind: entry.kind,
          fileId: entry.fileId.toString('hex'),
          sizeBytes: entry.sizeBytes,
          mtimeNs: undefined,
          mode: 0,
        });
      }
      const planned = items.map((item) => planRestore(repo, item));
      expect(planned.every((file) => file.chunks.length === 1)).toBe(true); // one chunk each: planned from one lookup
      const inPathOrder = planned.map(frameOf);
      const switches = (frames: string[]) => frames.filter((frame, index) => index > 0 && frame !== frames[index - 1]).length;
      expect(new Set(inPathOrder).size).toBe(2);
      expect(switches(inPathOrder)).toBe(39); // f000 first, in the second frame: 20 times there and back, less one

      const ordered = inFrameOrder(planned);
      expect(switches(ordered.map(frameOf))).toBe(1);
      expect(ordered.map((file) => file.path)).toEqual([
        ...planned.filter((file) => frameOf(file) === inPathOrder[0]).map((file) => file.path),
        ...planned.filter((file) => frameOf(file) !== inPathOrder[0]).map((file) => file.path),
      ]);

      // Two files under a path that is a file, in two frames taken in the other order: each fails, named, in
      // the order given, and the others are written.
      writeFileSync(join(out, 'blocked'), 'a file, not a directory');
      const blocked = [planned[5]!, planned[0]!].map((file, index) => ({
        ...file,
        path: `blocked/${index}`,
        absolutePath: join(out, 'blocked', String(index)),
      }));
      const { failures } = await restoreFiles({
        packsDirectory: repo.layout.packs,
        files: [...planned.slice(0, 3), blocked[0]!, ...planned.slice(3), blocked[1]!],
      });
      expect(failures.map((failure) => [failure.path, failure.code])).toEqual([
        ['blocked/0', 'UNSAFE_PATH'],
        ['blocked/1', 'UNSAFE_PATH'],
      ]);
      for (const [path, bytes] of content) expect(readFileSync(join(out, path)).equals(bytes), path).toBe(true);
    } finally {
      repo.close();
    }
  });
});

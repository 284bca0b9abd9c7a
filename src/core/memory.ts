import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Keeps V8's young generation at its initial size. V8 doubles it as a busy program allocates, up to
 * 16 MB a semi-space, which cost ~30 MB of peak RSS in add and checkout of 500,000 files (205 -> 176 MB
 * and 212 -> 187 MB, as fast within the noise; measured by hand, alternated). The growth factor is
 * read whenever the space would grow, so setting it at start-up works; but V8 raises a factor below 2
 * back to 2 whenever an isolate is set up, so each worker thread sets it again once started.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

let fullCollection: (() => void) | undefined;

/**
 * A full garbage collection, now: called between large units of work (a pack verified, a window of
 * files added) whose objects are all garbage once the unit is done. V8 collects its old generation
 * lazily, letting it grow with the garbage first: on bench/scale.js's tree of 1,000,000 files,
 * verify's heap reached ~100 MB of which ~20 MB was live (measured by hand, process.memoryUsage). Node gives the collector only to a context made after --expose-gc is set
 * (its documented way: v8.setFlagsFromString, then vm.runInNewContext('gc')).
 */
export function collectGarbageNow(): void {
  if (fullCollection === undefined) {
    setFlagsFromString('--expose-gc');
    fullCollection = runInNewContext('gc') as () => void;
  }
  fullCollection();
}

/**
 * Files between two collections in a walk of a tree: a full collection of a small live heap takes a
 * few milliseconds, ten of them in a walk of a million files.
 */
export const WALK_COLLECT_EVERY = 100_000;

/**
 * A function to call as a long walk passes items (one a call, or `passed`): every `items` of them,
 * it collects (collectGarbageNow).
 */
export function collectEvery(items: number): (passed?: number) => void {
  let count = 0;
  return (passed = 1) => {
    count += passed;
    if (count < items) return;
    count = 0;
    collectGarbageNow();
  };
}

/**
 * Tree entries walked, over all the walks of the command: a switch at 1,000,000 files walks two
 * commits' trees, and peaked at 239 MB with no collection between. The work tree's walk does not
 * count: status stays near 110 MB at 500,000 files without, and the collections cost it ~4%
 * (1.59-1.66 s against 1.68-1.75 s, alternated by hand).
 */
export const noteWalked = collectEvery(WALK_COLLECT_EVERY);

import type { StagedEntry, StagingItem, StagingView } from './staging-format.js';

/**
 * Parts of a staging area picked out by index, read in place, for the commands that change a few
 * entries of it (rm, reset, restore, status's refresh): the rest is copied as bytes into the new one
 * (see KeptRun), never decoded.
 */

/** A run of entries [start, end) of a staging area. */
export type IndexRun = [start: number, end: number];

/**
 * The entries at or under the paths `scopes` ('' for all), as sorted, disjoint runs. Those under
 * `scope/` lie between `scope/` and `scope0` ('0' follows '/'), but not always next to `scope`
 * itself (`a-b` sorts between `a` and `a/x`).
 */
export function runsUnder(staging: StagingView, scopes: readonly string[]): IndexRun[] {
  const at = (path: string): number => {
    const found = staging.indexOf(path);
    return found >= 0 ? found : -1 - found;
  };
  const runs: IndexRun[] = [];
  for (const scope of scopes) {
    if (scope === '') {
      if (staging.count > 0) runs.push([0, staging.count]);
      continue;
    }
    const exact = staging.indexOf(scope);
    if (exact >= 0) runs.push([exact, exact + 1]);
    const start = at(`${scope}/`);
    const end = at(`${scope}0`);
    if (start < end) runs.push([start, end]);
  }
  const merged: IndexRun[] = [];
  for (const [start, end] of runs.sort((a, b) => a[0] - b[0])) {
    const last = merged.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** The entries outside `removed` (sorted, disjoint runs). */
export function* keptOutside(staging: StagingView, removed: readonly IndexRun[]): Generator<StagingItem> {
  let next = 0;
  for (const [start, end] of removed) {
    if (start > next) yield { keptFrom: staging, start: next, end: start };
    next = end;
  }
  if (next < staging.count) yield { keptFrom: staging, start: next, end: staging.count };
}

/** An entry to put in place of the one at `index`. */
export interface ReplacedEntry {
  index: number;
  entry: StagedEntry;
}

/** Every entry, each of `replaced` (by ascending index) in place of the one at its index. */
export function* withEntriesReplaced(staging: StagingView, replaced: readonly ReplacedEntry[]): Generator<StagingItem> {
  let next = 0; // the first entry not given yet
  for (const { index, entry } of replaced) {
    if (index > next) yield { keptFrom: staging, start: next, end: index };
    yield entry;
    next = index + 1;
  }
  if (next < staging.count) yield { keptFrom: staging, start: next, end: staging.count };
}

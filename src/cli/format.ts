import type { Change } from '../engine/worktree/staged-changes.js';
export { countOf } from '../core/count-of.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${UNITS[unit]}`;
}

export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}x`;
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** git's letters for a path's change (status --short, reset's list). */
export const CHANGE_LETTER: Record<Change, string> = { added: 'A', modified: 'M', deleted: 'D', typechange: 'T' };

/**
 * Searches indexes [low, high] of a sorted sequence: `orderAt(index)` tells where the entry at index
 * lies against the one sought (negative: before it; 0: it). Returns the index found or, when there
 * is none, -1 - the index where it would go.
 */
export function binarySearch(low: number, high: number, orderAt: (index: number) => number): number {
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = orderAt(middle);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -1 - low;
}

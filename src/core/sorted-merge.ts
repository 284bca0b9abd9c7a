/**
 * Two sequences sorted by the same key, walked side by side: each step yields the left item, the
 * right item or both (when their keys are equal). Holds one item of each, whatever their lengths.
 */
export function* mergeSorted<L, R>(left: Iterable<L>, right: Iterable<R>, compare: (left: L, right: R) => number): Generator<[L | undefined, R | undefined]> {
  const lefts = left[Symbol.iterator]();
  const rights = right[Symbol.iterator]();
  let l = lefts.next();
  let r = rights.next();
  while (!l.done || !r.done) {
    const order = l.done ? 1 : r.done ? -1 : compare(l.value, r.value);
    if (order === 0) {
      yield [l.value as L, r.value as R];
      l = lefts.next();
      r = rights.next();
    } else if (order < 0) {
      yield [l.value as L, undefined];
      l = lefts.next();
    } else {
      yield [undefined, r.value as R];
      r = rights.next();
    }
  }
}

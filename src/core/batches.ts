/**
 * Splits items, in order, into batches of at most `maxItems` and about `maxBytes` (a single item
 * larger than that is a batch of its own): enough per message to a worker to amortize it, small
 * enough to spread the work over the threads. A batch is made when it is asked for, so that items
 * streamed from a walk are never all held.
 */
export function* batchesOf<T>(items: Iterable<T>, sizeOf: (item: T) => number, limits: { maxItems: number; maxBytes: number }): Generator<T[]> {
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= limits.maxItems || bytes + size > limits.maxBytes)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) yield current;
}

/**
 * Splits items, in order, into batches of at most `maxItems` and about `maxBytes` (a single item
 * larger than that is a batch of its own): enough per message to a worker to amortize it, small
 * enough to spread the work over the threads. A batch is made when it is asked for, so that items
 * streamed from a walk are never all held.
 *
 * `groupOf`: a batch of at least `minItems` also ends where the group changes, so that batches on
 * different threads seldom share a group (files written into one directory by two threads wait on
 * each other for its lock).
 */
export function* batchesOf<T>(
  items: Iterable<T>,
  sizeOf: (item: T) => number,
  limits: { maxItems: number; maxBytes: number; groupOf?: (item: T) => string; minItems?: number },
): Generator<T[]> {
  let current: T[] = [];
  let bytes = 0;
  let group: string | undefined;
  for (const item of items) {
    const size = sizeOf(item);
    const itemGroup = limits.groupOf?.(item);
    const full = current.length >= limits.maxItems || bytes + size > limits.maxBytes;
    const groupEnds = itemGroup !== group && current.length >= (limits.minItems ?? 1);
    if (current.length > 0 && (full || groupEnds)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
    group = itemGroup;
  }
  if (current.length > 0) yield current;
}

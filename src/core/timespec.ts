/**
 * A nanosecond time stored as a little-endian i64, read into `into` as a timespec (whole seconds and
 * nanoseconds, both numbers) without BigInt arithmetic: by long division in 16-bit steps, each exact
 * in a double. Returns false for a time before 1970 (the caller then takes the BigInt path).
 */
export function readTimespecAt(view: DataView, at: number, into: { sec: number; nsec: number }): boolean {
  const high = view.getInt32(at + 4, true);
  if (high < 0) return false;
  const low = view.getUint32(at, true);
  const q1 = Math.floor(high / 1e9);
  const t = (high - q1 * 1e9) * 65536 + (low >>> 16); // < 1e9 * 65536 + 65536: exact
  const q2 = Math.floor(t / 1e9);
  const u = (t - q2 * 1e9) * 65536 + (low & 0xffff);
  const q3 = Math.floor(u / 1e9);
  into.sec = q1 * 4294967296 + q2 * 65536 + q3;
  into.nsec = u - q3 * 1e9;
  return true;
}

/** A timespec as the millisecond number an lstat without `bigint` reports: Node's sec * 1e3 + nsec / 1e6. */
export function msOfTimespec(sec: number, nsec: number): number {
  return sec * 1e3 + nsec / 1e6;
}

/**
 * How long after a file's mtime (its nanoseconds part given) a scan must begin for the file's stat
 * data to be trusted (see isRacilyClean). Linux stamps mtimes from a coarse clock (one jiffy, at most
 * 10 ms, behind real time); file systems that keep whole seconds (mtime with no nanoseconds) may
 * round by up to 2 s (FAT).
 */
export function mtimeSlackNs(mtimeNsPart: number): number {
  return mtimeNsPart === 0 ? 2_000_000_000 : 50_000_000;
}

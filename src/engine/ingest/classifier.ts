/**
 * Profiles the files an add must read and picks a strategy. Thresholds, and why:
 */
/** At or below this a file is read in one window and per-file costs (open, stat, close) dominate. */
export const SMALL_FILE_MAX_BYTES = 1024 * 1024;
/** At or above this a single file is enough to keep every compression thread busy for a while. */
export const LARGE_FILE_MIN_BYTES = 64 * 1024 * 1024;
/** Below this much new data in total, starting worker threads (~30 ms each) costs more than it saves. */
export const INLINE_MAX_TOTAL_BYTES = 8 * 1024 * 1024;
/** "Many" small files: where batching them matters more than any one file. */
export const MANY_FILES_MIN_COUNT = 64;
/**
 * Below this many threads, small files are read on the main thread. Measured on 2 cores (12,114
 * files, 227 MB, `store add -A -j N`, five runs each): worker batches 2.0-2.9 s at ~310 MB RSS, main
 * thread 2.1-2.3 s at ~220 MB: no faster, and heavier, when the same two threads also compress. With
 * more cores the main thread's reading becomes the limit, and batches spread it.
 */
export const BATCH_READ_MIN_THREADS = 3;

export type WorkloadClass = 'Empty' | 'ManySmallFiles' | 'FewLargeFiles' | 'SingleLargeFile' | 'Mixed';

export interface SizeClassProfile {
  count: number;
  bytes: number;
}

export interface WorkloadProfile {
  fileCount: number;
  totalBytes: number;
  small: SizeClassProfile;
  medium: SizeClassProfile;
  large: SizeClassProfile;
}

export interface IngestStrategy {
  workload: WorkloadClass;
  /** Threads compressing frames; 0 compresses on the main thread. */
  compressionThreads: number;
  /** Small files read, chunked and hashed in batches on the worker threads rather than on the main thread. */
  batchSmallFiles: boolean;
  /** Large files hashed whole on a thread of their own while the main thread reads and chunks them (~30 ms to start). */
  hashingThread: boolean;
  /** Order in which files are read. */
  order: 'path' | 'largest-first';
  reason: string;
}

/** The profile of files of these sizes, added to `profile` when given (one window after another). */
export function profileWorkload(sizes: Iterable<number>, profile: WorkloadProfile = emptyProfile()): WorkloadProfile {
  for (const size of sizes) {
    const sizeClass = size <= SMALL_FILE_MAX_BYTES ? profile.small : size >= LARGE_FILE_MIN_BYTES ? profile.large : profile.medium;
    sizeClass.count++;
    sizeClass.bytes += size;
    profile.fileCount++;
    profile.totalBytes += size;
  }
  return profile;
}

function emptyProfile(): WorkloadProfile {
  return { fileCount: 0, totalBytes: 0, small: { count: 0, bytes: 0 }, medium: { count: 0, bytes: 0 }, large: { count: 0, bytes: 0 } };
}

export function classifyWorkload(profile: WorkloadProfile): WorkloadClass {
  if (profile.fileCount === 0) return 'Empty';
  if (profile.large.count === 1 && profile.large.bytes >= profile.totalBytes * 0.9) return 'SingleLargeFile';
  if (profile.large.bytes + profile.medium.bytes >= profile.totalBytes * 0.9 && profile.fileCount < MANY_FILES_MIN_COUNT) return 'FewLargeFiles';
  if (profile.small.count >= profile.fileCount * 0.9) return 'ManySmallFiles';
  return 'Mixed';
}

/** `more`: the profile is of a first window, and more files follow (so there is not "little to read"). */
export function chooseStrategy(profile: WorkloadProfile, jobs: number, options: { more?: boolean } = {}): IngestStrategy {
  const workload = classifyWorkload(profile);
  if (jobs <= 0 || (profile.totalBytes < INLINE_MAX_TOTAL_BYTES && !options.more)) {
    const reason = jobs <= 0 ? '--jobs 0' : 'little to read: compress on the main thread';
    return { workload, compressionThreads: 0, batchSmallFiles: false, hashingThread: false, order: 'path', reason };
  }
  const batchSmallFiles = jobs >= BATCH_READ_MIN_THREADS && profile.small.count > 0;
  const hashingThread = profile.large.count > 0;
  switch (workload) {
    case 'SingleLargeFile':
    case 'FewLargeFiles':
      return {
        workload,
        compressionThreads: jobs,
        batchSmallFiles,
        hashingThread,
        order: 'path',
        reason: 'stream each file in windows; frames compressed on all threads',
      };
    case 'ManySmallFiles':
      // Read here, small files keep this thread as busy as one compression thread: a second one would
      // only contend for the cores (12,114 files on 2 cores, four runs each: one thread 1.48-1.69 s at
      // 182-189 MB, two 1.61-1.70 s at 204-209 MB).
      return batchSmallFiles
        ? {
            workload,
            compressionThreads: jobs,
            batchSmallFiles,
            hashingThread,
            order: 'path',
            reason: 'small files read, chunked and hashed in batches on all threads',
          }
        : {
            workload,
            compressionThreads: Math.max(1, jobs - 1),
            batchSmallFiles,
            hashingThread,
            order: 'path',
            reason: 'small files read here, their frames compressed on the other threads',
          };
    default:
      return {
        workload,
        compressionThreads: jobs,
        batchSmallFiles,
        hashingThread,
        order: 'largest-first',
        reason: 'large files first, so the small ones fill the threads at the end',
      };
  }
}

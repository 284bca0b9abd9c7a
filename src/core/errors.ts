/**
 * Typed errors with stable codes. Library code throws these; the CLI maps each code to the exit
 * status documented in README.md ("Exit statuses") and in `store --help`.
 */
export const ExitStatus = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  NOT_A_REPOSITORY: 3,
  ALREADY_EXISTS: 4,
  NOT_FOUND: 5,
  AMBIGUOUS: 6,
  LOCKED: 7,
  CORRUPT: 8,
  PARTIAL: 9,
  UNSUPPORTED_FORMAT: 10,
  REJECTED: 11,
  REMOTE_UNAVAILABLE: 12,
} as const;

export type ErrorCode =
  | 'NOT_A_REPOSITORY'
  | 'REPOSITORY_EXISTS'
  | 'PATH_NOT_FOUND'
  | 'PATH_OUTSIDE_REPOSITORY'
  | 'OBJECT_NOT_FOUND'
  | 'COMMIT_NOT_FOUND'
  | 'AMBIGUOUS_PREFIX'
  | 'INVALID_ARGUMENT'
  | 'NOTHING_TO_COMMIT'
  | 'UNCOMMITTED_CHANGES'
  | 'NOT_MERGED'
  | 'REF_EXISTS'
  | 'LOCKED'
  | 'CORRUPT_PACK'
  | 'CORRUPT_OBJECT'
  | 'CORRUPT_STAGING'
  | 'CORRUPT_CATALOG'
  | 'CORRUPT_CONFIG'
  | 'UNSUPPORTED_FORMAT'
  | 'PARTIAL'
  | 'PATH_IGNORED'
  | 'UNSAFE_PATH'
  | 'NON_FAST_FORWARD'
  | 'REMOTE_NOT_FOUND'
  | 'REMOTE_UNAVAILABLE'
  | 'IO_ERROR';

const EXIT_STATUS_BY_CODE: Record<ErrorCode, number> = {
  NOT_A_REPOSITORY: ExitStatus.NOT_A_REPOSITORY,
  REPOSITORY_EXISTS: ExitStatus.ALREADY_EXISTS,
  PATH_NOT_FOUND: ExitStatus.NOT_FOUND,
  PATH_OUTSIDE_REPOSITORY: ExitStatus.USAGE,
  OBJECT_NOT_FOUND: ExitStatus.NOT_FOUND,
  COMMIT_NOT_FOUND: ExitStatus.NOT_FOUND,
  AMBIGUOUS_PREFIX: ExitStatus.AMBIGUOUS,
  INVALID_ARGUMENT: ExitStatus.USAGE,
  NOTHING_TO_COMMIT: ExitStatus.FAILURE,
  UNCOMMITTED_CHANGES: ExitStatus.FAILURE,
  NOT_MERGED: ExitStatus.FAILURE,
  REF_EXISTS: ExitStatus.ALREADY_EXISTS,
  LOCKED: ExitStatus.LOCKED,
  CORRUPT_PACK: ExitStatus.CORRUPT,
  CORRUPT_OBJECT: ExitStatus.CORRUPT,
  CORRUPT_STAGING: ExitStatus.CORRUPT,
  CORRUPT_CATALOG: ExitStatus.CORRUPT,
  CORRUPT_CONFIG: ExitStatus.CORRUPT,
  UNSUPPORTED_FORMAT: ExitStatus.UNSUPPORTED_FORMAT,
  PARTIAL: ExitStatus.PARTIAL,
  PATH_IGNORED: ExitStatus.FAILURE,
  UNSAFE_PATH: ExitStatus.FAILURE,
  NON_FAST_FORWARD: ExitStatus.REJECTED,
  REMOTE_NOT_FOUND: ExitStatus.NOT_FOUND,
  REMOTE_UNAVAILABLE: ExitStatus.REMOTE_UNAVAILABLE,
  IO_ERROR: ExitStatus.FAILURE,
};

export class StoreError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.code = code;
    this.hint = options.hint;
  }

  get exitStatus(): number {
    return EXIT_STATUS_BY_CODE[this.code];
  }
}

/** Thrown when bytes on disk do not match what their format or their hash promises. */
export class CorruptionError extends StoreError {
  constructor(code: Extract<ErrorCode, `CORRUPT_${string}`>, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(code, message, options);
    this.name = 'CorruptionError';
  }
}

/** An error as plain data, to cross a thread: its code, message and hint survive. */
export interface ErrorData {
  code: string;
  message: string;
  hint?: string;
}

export function errorData(error: unknown): ErrorData {
  if (error instanceof StoreError) return { code: error.code, message: error.message, hint: error.hint };
  return { code: errnoCode(error) ?? 'IO_ERROR', message: (error as Error)?.message ?? String(error) };
}

/** The error again from its data, of its class: a CORRUPT_* code is a CorruptionError (exit status 8). */
export function errorFromData(data: ErrorData): StoreError {
  const code = (data.code in EXIT_STATUS_BY_CODE ? data.code : 'IO_ERROR') as ErrorCode;
  if (code.startsWith('CORRUPT_')) return new CorruptionError(code as Extract<ErrorCode, `CORRUPT_${string}`>, data.message, { hint: data.hint });
  return new StoreError(code, data.message, { hint: data.hint });
}

/** Node's errno code of an fs error, if it is one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { errnoCode, StoreError } from '../core/errors.js';
import { lazyRequire } from '../core/lazy-require.js';

/**
 * A bucket (and a prefix in it) behind the S3 API: the few operations a remote needs, with
 * conditional writes. The only module that talks to the AWS SDK; loaded on first use, since most
 * commands never touch a remote.
 */

/** Where a remote lives: `s3://BUCKET/PREFIX`, and for servers other than AWS an endpoint. */
export interface RemoteLocation {
  bucket: string;
  /** '' or ending in '/'. */
  prefix: string;
  endpoint?: string;
  region?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most servers other than AWS need. */
  pathStyle?: boolean;
}

/** Parses `s3://BUCKET[/PREFIX]`. */
export function parseRemoteUrl(url: string): Pick<RemoteLocation, 'bucket' | 'prefix'> {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (match === null) {
    throw new StoreError('INVALID_ARGUMENT', `'${url}' is not a remote URL`, { hint: 'use s3://BUCKET or s3://BUCKET/PREFIX' });
  }
  const prefix = (match[2] ?? '').replace(/\/+$/, '');
  if (prefix.split('/').some((part) => part === '.' || part === '..') || prefix.includes('//')) {
    throw new StoreError('INVALID_ARGUMENT', `'${url}': the prefix may not hold empty, '.' or '..' parts`);
  }
  return { bucket: match[1]!, prefix: prefix === '' ? '' : `${prefix}/` };
}

export function remoteUrl(location: Pick<RemoteLocation, 'bucket' | 'prefix'>): string {
  return `s3://${location.bucket}${location.prefix === '' ? '' : `/${location.prefix.replace(/\/$/, '')}`}`;
}

/** A request the remote failed or refused; `retryable` when trying again may help (network, 5xx, throttling). */
export class RemoteError extends StoreError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super('REMOTE_UNAVAILABLE', message, options);
  }
}

/** An object's bytes with its ETag (unquoted), or undefined when there is none. */
export interface StoredObject {
  body: Buffer;
  etag: string;
}

/** A write's precondition: the key must not exist, or must still have this ETag. */
export type WriteCondition = { ifAbsent: true } | { ifEtag: string } | undefined;

type S3Module = typeof import('@aws-sdk/client-s3');
const s3Module = lazyRequire<S3Module>('@aws-sdk/client-s3');
const httpsModule = lazyRequire<typeof import('node:https')>('node:https');
const tlsModule = lazyRequire<typeof import('node:tls')>('node:tls');

/** Attempts per request: the SDK retries throttling (503 SlowDown, 429) and 5xx with exponential back-off. */
const MAX_ATTEMPTS = 6;

export class ObjectStore {
  private readonly client: import('@aws-sdk/client-s3').S3Client;
  private readonly s3: S3Module;

  constructor(readonly location: RemoteLocation) {
    // The SDK warns on every start that releases from 2027 on need Node 22; this one is pinned.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.s3 = s3Module();
    this.client = new this.s3.S3Client({
      endpoint: location.endpoint,
      region: location.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: location.pathStyle ?? location.endpoint !== undefined,
      // Servers other than AWS reject or mishandle the newer default checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: MAX_ATTEMPTS,
      retryMode: 'standard',
      requestHandler: location.endpoint?.startsWith('http:') ? undefined : extraCaCertsAgent(),
    });
  }

  private key(name: string): string {
    return `${this.location.prefix}${name}`;
  }

  /** The object, or undefined when the key does not exist. */
  async get(name: string): Promise<StoredObject | undefined> {
    try {
      const answer = await this.client.send(new this.s3.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) }));
      return { body: Buffer.from(await answer.Body!.transformToByteArray()), etag: unquote(answer.ETag) };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.failure(error, `read ${name}`);
    }
  }

  /** The object's body as a stream, to be read to the end by the caller. */
  async getStream(name: string): Promise<{ body: Readable; sizeBytes: number }> {
    try {
      const answer = await this.client.send(new this.s3.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) }));
      return { body: answer.Body as Readable, sizeBytes: answer.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) throw new StoreError('OBJECT_NOT_FOUND', `the remote has no ${name}`);
      throw this.failure(error, `read ${name}`);
    }
  }

  /** `length` bytes from `offset` (a negative offset: the last -offset bytes). */
  async getRange(name: string, offset: number, length?: number): Promise<Buffer> {
    const range = offset < 0 ? `bytes=${offset}` : `bytes=${offset}-${length === undefined ? '' : offset + length - 1}`;
    try {
      const answer = await this.client.send(new this.s3.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(name), Range: range }));
      return Buffer.from(await answer.Body!.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) throw new StoreError('OBJECT_NOT_FOUND', `the remote has no ${name}`);
      throw this.failure(error, `read ${name}`);
    }
  }

  /** The object's size, or undefined when the key does not exist. */
  async size(name: string): Promise<number | undefined> {
    try {
      const answer = await this.client.send(new this.s3.HeadObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) }));
      return answer.ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.failure(error, `look up ${name}`);
    }
  }

  /**
   * Writes an object whole, under a condition: false when the condition failed (412: the key exists,
   * or its ETag moved), and nothing was written. ETags are sent unquoted: RADOS Gateway compares
   * a quoted one as never matching (measured), and AWS accepts both.
   */
  async put(name: string, body: Buffer | Readable, condition: WriteCondition, sizeBytes?: number): Promise<boolean> {
    try {
      await this.client.send(
        new this.s3.PutObjectCommand({
          Bucket: this.location.bucket,
          Key: this.key(name),
          Body: body,
          ContentLength: sizeBytes ?? (Buffer.isBuffer(body) ? body.length : undefined),
          IfNoneMatch: condition !== undefined && 'ifAbsent' in condition ? '*' : undefined,
          IfMatch: condition !== undefined && 'ifEtag' in condition ? condition.ifEtag : undefined,
        }),
      );
      return true;
    } catch (error) {
      if (httpStatus(error) === 412 || httpStatus(error) === 409) return false;
      throw this.failure(error, `write ${name}`);
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new this.s3.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) }));
    } catch (error) {
      throw this.failure(error, `delete ${name}`);
    }
  }

  /** Names (relative to the prefix) of the objects under `under`, every page of them. */
  async list(under: string): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      let answer;
      try {
        answer = await this.client.send(new this.s3.ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: this.key(under), ContinuationToken: token }));
      } catch (error) {
        if (errorName(error) === 'NoSuchBucket') return names;
        throw this.failure(error, `list ${under}`);
      }
      for (const object of answer.Contents ?? []) if (object.Key !== undefined) names.push(object.Key.slice(this.location.prefix.length));
      token = answer.IsTruncated ? answer.NextContinuationToken : undefined;
    } while (token !== undefined);
    return names;
  }

  /** Creates the bucket when it does not exist yet (a first push to a new bucket). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new this.s3.HeadBucketCommand({ Bucket: this.location.bucket }));
      return;
    } catch (error) {
      if (!isNotFound(error)) throw this.failure(error, `look up bucket ${this.location.bucket}`);
    }
    try {
      await this.client.send(new this.s3.CreateBucketCommand({ Bucket: this.location.bucket }));
    } catch (error) {
      if (['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errorName(error) ?? '')) return;
      throw this.failure(error, `create bucket ${this.location.bucket}`);
    }
  }

  close(): void {
    this.client.destroy();
  }

  /** What went wrong, as a RemoteError that names the remote and the operation; credentials are never part of it. */
  private failure(error: unknown, doing: string): RemoteError {
    const where = remoteUrl(this.location);
    const status = httpStatus(error);
    const name = errorName(error) ?? 'error';
    const detail = status === undefined ? ((error as Error)?.message ?? String(error)) : `${name} (HTTP ${status})`;
    if (status === 403 || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
      return new RemoteError(`${where}: access denied to ${doing}: ${detail}`, false, {
        hint: 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE',
        cause: error,
      });
    }
    const retryable = status === undefined || status >= 500 || status === 429;
    return new RemoteError(`${where}: could not ${doing}: ${detail}`, retryable, { cause: error });
  }
}

/**
 * An HTTPS agent that trusts the certificates NODE_EXTRA_CA_CERTS names besides Node's own, as Node
 * would: bin/run.js starts node without the variable (Node 20 parses the file at start, ~35-50 ms of
 * every command) and puts it back, so only a remote pays for it. An agent, not agent options: the SDK
 * makes a plain agent of its own for `Expect: 100-continue` requests unless it is given one.
 */
function extraCaCertsAgent(): { httpsAgent: import('node:https').Agent } | undefined {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (file === undefined || file === '') return undefined;
  let certificates: string;
  try {
    certificates = readFileSync(file, 'latin1');
  } catch (error) {
    throw new StoreError('INVALID_ARGUMENT', `NODE_EXTRA_CA_CERTS names '${file}', which can't be read (${errnoCode(error) ?? 'error'})`, {
      hint: 'point it at a PEM file of certificates, or unset it',
    });
  }
  // The SDK's own defaults, which an agent given to it replaces.
  return { httpsAgent: new (httpsModule().Agent)({ keepAlive: true, maxSockets: 50, ca: [...tlsModule().rootCertificates, certificates] }) };
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string })?.name;
}

function isNotFound(error: unknown): boolean {
  return httpStatus(error) === 404 || ['NoSuchKey', 'NotFound', 'NoSuchBucket'].includes(errorName(error) ?? '');
}

import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { pseudoRandomBytes, run, STORE_BIN, store, storeOk, temporaryDirectory } from './helpers.js';
import { spawn } from 'node:child_process';

/**
 * Remotes against a real S3 server: the RADOS Gateway that test/s3/global-setup.ts started on
 * loopback (never a mock). Each test has a bucket of its own. Faults (a server that stops, throttles)
 * come from a TCP proxy in front of the gateway, cut or answering 503 as the test says.
 */
const s3 = inject('s3');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'; // the SDK is pinned (see object-store.ts)
const env = { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
const client = new S3Client({
  endpoint: s3.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
});
afterAll(() => client.destroy());

let buckets = 0;
const newBucket = (): string => `store-test-${process.pid}-${++buckets}`;

const sh = (args: readonly string[], cwd: string) => store(args, { cwd, env });
const ok = (args: readonly string[], cwd: string) => storeOk(args, { cwd, env });
const json = async <T = any>(args: readonly string[], cwd: string): Promise<T> => JSON.parse((await ok([...args, '--json'], cwd)).text) as T;

/** The commit a revision names (HEAD by default). */
const commitOf = async (cwd: string, revision?: string): Promise<string> =>
  (await json<{ commitId: string }[]>(['log', '-n', '1', ...(revision === undefined ? [] : [revision])], cwd))[0]!.commitId;

/** A repository with a few files of each kind, committed, with `origin` at a new bucket. */
async function repositoryWithRemote(endpoint = s3.endpoint): Promise<{ work: string; url: string; bucket: string }> {
  const work = temporaryDirectory('store-remote-');
  await ok(['init', '-q'], work);
  writeFileSync(join(work, 'a.txt'), 'hello\n');
  mkdirSync(join(work, 'd'));
  writeFileSync(join(work, 'd', 'data.bin'), pseudoRandomBytes(300_000, 7));
  writeFileSync(join(work, 'run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(work, 'run.sh'), 0o755);
  symlinkSync('a.txt', join(work, 'link'));
  utimesSync(join(work, 'a.txt'), 1_600_000_000, 1_600_000_000.123456);
  await ok(['add', '-A', '-q'], work);
  await ok(['commit', '-q', '-m', 'first'], work);
  const bucket = newBucket();
  const url = `s3://${bucket}/repo`;
  await ok(['remote', 'add', 'origin', url, '--endpoint', endpoint], work);
  return { work, url, bucket };
}

async function remoteKeys(bucket: string, under: string): Promise<string[]> {
  try {
    const answer = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `repo/${under}` }));
    return (answer.Contents ?? []).map((object) => object.Key!.slice('repo/'.length));
  } catch (error) {
    if ((error as Error).name === 'NoSuchBucket') return []; // no push has made it yet
    throw error;
  }
}

/** A TCP proxy to the gateway whose faults a test sets: cut every connection after N bytes up, or answer 503 SlowDown to the first N connections. */
async function faultyProxy(): Promise<{
  endpoint: string;
  cutAfterBytes(bytes: number): void;
  throttle(connections: number): void;
  close(): Promise<void>;
  throttled(): number;
}> {
  const target = new URL(s3.endpoint);
  let cutAfter = Number.POSITIVE_INFINITY;
  let forwarded = 0;
  let toThrottle = 0;
  let throttled = 0;
  let bytesPerSecond = Number.POSITIVE_INFINITY;
  const sockets = new Set<Socket>();
  const server: Server = createServer((downstream) => {
    sockets.add(downstream);
    downstream.on('close', () => sockets.delete(downstream));
    downstream.on('error', () => {});
    if (toThrottle > 0) {
      toThrottle--;
      throttled++;
      downstream.once('data', () => {
        const body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';
        downstream.end(`HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      });
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => downstream.destroy());
    downstream.on('data', (piece: Buffer) => {
      forwarded += piece.length;
      if (forwarded > cutAfter) {
        // The server "stops": every connection dropped, and no new one accepted.
        server.close();
        for (const socket of sockets) socket.destroy();
        return;
      }
      upstream.write(piece);
      if (Number.isFinite(bytesPerSecond)) {
        downstream.pause();
        setTimeout(() => downstream.resume(), (1000 * piece.length) / bytesPerSecond);
      }
    });
    upstream.on('data', (piece: Buffer) => downstream.write(piece));
    downstream.on('close', () => upstream.destroy());
    upstream.on('end', () => downstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    cutAfterBytes: (bytes) => {
      cutAfter = forwarded + bytes;
    },
    throttle: (connections) => {
      toThrottle = connections;
    },
    limitRate: (rate) => {
      bytesPerSecond = rate;
    },
    throttled: () => throttled,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
        if (!server.listening) resolve();
      }),
  };
}

/** The gateway behind TLS: a terminating proxy with a self-signed certificate for 127.0.0.1, made by openssl; `certificate` is its PEM file. */
async function tlsProxy(): Promise<{ endpoint: string; certificate: string; close(): Promise<void> }> {
  const dir = temporaryDirectory('store-tls-');
  const [key, certificate] = [join(dir, 'key.pem'), join(dir, 'certificate.pem')];
  const made = await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      certificate,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { cwd: dir },
  );
  expect(made.status, made.stderr).toBe(0);
  const target = new URL(s3.endpoint);
  const sockets = new Set<Socket>();
  const server = createTlsServer({ key: readFileSync(key), cert: readFileSync(certificate) }, (downstream) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.pipe(upstream).pipe(downstream);
  });
  server.on('tlsClientError', () => {}); // a client refusing the certificate, as one test wants
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `https://127.0.0.1:${(server.address() as { port: number }).port}`,
    certificate,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('remotes on a real S3 server (RADOS Gateway)', () => {
  it('remote add, list and remove: names, URLs and endpoints recorded, never credentials; bad input refused with its status', async () => {
    const { work, url } = await repositoryWithRemote();
    const listed = await json<{ name: string; url: string; endpoint: string }[]>(['remote', 'list'], work);
    expect(listed).toEqual([{ name: 'origin', url, endpoint: s3.endpoint }]);
    expect((await ok(['remote'], work)).text).toContain(`origin\t${url}`);
    const recorded = readFileSync(join(work, '.store', 'remotes'), 'utf8');
    expect(recorded).not.toContain(s3.secretAccessKey);
    expect(recorded).not.toContain(s3.accessKeyId);
    expect(lstatSync(join(work, '.store', 'remotes')).mode & 0o777).toBe(0o600);
    expect((await sh(['remote', 'add', 'origin', url], work)).status).toBe(4);
    const badUrl = await sh(['remote', 'add', 'other', 'http://not-s3/x'], work);
    expect(badUrl.status).toBe(2);
    expect(badUrl.stderr).toContain('is not a remote URL');
    expect((await sh(['push', 'nowhere'], work)).status).toBe(5);
    await ok(['remote', 'remove', 'origin'], work);
    expect(await json(['remote', 'list'], work)).toEqual([]);
    expect((await sh(['remote', 'remove', 'origin'], work)).status).toBe(5);
  });

  it('push then clone gives back every byte, mode, link and time; origin/main is a revision and `branch -r` lists it', async () => {
    const { work, url } = await repositoryWithRemote();
    const pushed = await json(['push'], work);
    expect(pushed.refs).toEqual([{ ref: 'refs/heads/main', to: expect.any(String), status: 'created' }]);
    expect(pushed.packsSent).toBeGreaterThan(0);
    expect(pushed.packsAlreadyThere).toBe(0);
    expect((await ok(['branch', '-r'], work)).text.trim()).toBe('origin/main');

    const parent = temporaryDirectory('store-clone-');
    const cloned = await json(['clone', url, 'copy', '--endpoint', s3.endpoint], parent);
    const copy = join(parent, 'copy');
    expect(cloned).toMatchObject({ directory: copy, branch: 'main', commitId: pushed.refs[0].to, filesWritten: 4 });
    expect(readFileSync(join(copy, 'd', 'data.bin')).equals(pseudoRandomBytes(300_000, 7))).toBe(true);
    expect(readFileSync(join(copy, 'a.txt'), 'utf8')).toBe('hello\n');
    expect(lstatSync(join(copy, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(copy, 'link'))).toBe('a.txt');
    expect(lstatSync(join(copy, 'a.txt')).mtimeMs).toBe(lstatSync(join(work, 'a.txt')).mtimeMs);
    expect((await ok(['status', '--porcelain'], copy)).text).toBe('');
    expect(await commitOf(copy, 'origin/main')).toBe(pushed.refs[0].to);
    expect((await ok(['verify', '--read-data'], copy)).status).toBe(0);
    expect(await json(['verify', '--remote', 'origin', '--read-data'], work)).toMatchObject({ ok: true, refsChecked: 1, damage: [] });
  });

  it('an incremental push sends only the new packs; nothing to send is "up to date"; pull fast-forwards the work tree and refuses over changes', async () => {
    const { work, url } = await repositoryWithRemote();
    await ok(['push', '-q'], work);
    const parent = temporaryDirectory('store-pull-');
    await ok(['clone', url, 'other', '--endpoint', s3.endpoint, '-q'], parent);
    const other = join(parent, 'other');

    writeFileSync(join(work, 'new.bin'), pseudoRandomBytes(100_000, 9));
    await ok(['add', '-A', '-q'], work);
    await ok(['commit', '-q', '-m', 'second'], work);
    const second = await json(['push'], work);
    expect(second.refs[0].status).toBe('fast-forward');
    // The 300 KB file is on the remote already: only the new 100 KB (and the commit's trees) go up.
    expect(second.bytesSent).toBeGreaterThan(100_000);
    expect(second.bytesSent).toBeLessThan(2 * 100_000);
    const again = await json(['push'], work);
    expect(again).toMatchObject({ packsSent: 0, bytesSent: 0, refs: [{ ref: 'refs/heads/main', status: 'up to date' }] });

    // Uncommitted changes to a tracked file in the way: refused, nothing touched.
    writeFileSync(join(other, 'a.txt'), 'local edit\n');
    const refused = await sh(['pull'], other);
    expect(refused.status).toBe(1);
    expect(readFileSync(join(other, 'a.txt'), 'utf8')).toBe('local edit\n');
    expect(existsSync(join(other, 'new.bin'))).toBe(false);
    writeFileSync(join(other, 'a.txt'), 'hello\n'); // the edit undone
    const pulled = await json(['pull'], other);
    expect(pulled).toMatchObject({ branch: 'main', upstream: 'origin/main', upToDate: false, to: second.refs[0].to });
    expect(readFileSync(join(other, 'new.bin')).equals(pseudoRandomBytes(100_000, 9))).toBe(true);
    expect(await commitOf(other)).toBe(second.refs[0].to);
    expect((await ok(['status', '--porcelain'], other)).text).toBe('');
    expect((await json(['pull'], other)).upToDate).toBe(true);
  });

  it('two pushers to one branch at once: one wins, the other is refused (status 11) and loses nothing, then pushes after a fetch and a new commit', async () => {
    const { work, url } = await repositoryWithRemote();
    await ok(['push', '-q'], work);
    const parent = temporaryDirectory('store-race-');
    await ok(['clone', url, 'b', '--endpoint', s3.endpoint, '-q'], parent);
    const other = join(parent, 'b');
    writeFileSync(join(work, 'from-a.txt'), 'a\n');
    writeFileSync(join(other, 'from-b.txt'), 'b\n');
    for (const tree of [work, other]) {
      await ok(['add', '-A', '-q'], tree);
      await ok(['commit', '-q', '-m', `from ${tree}`], tree);
    }
    const [a, b] = await Promise.all([sh(['push', '--json'], work), sh(['push', '--json'], other)]);
    expect([a.status, b.status].sort()).toEqual([0, 11]);
    const [winner, loser] = a.status === 0 ? [work, other] : [other, work];
    const refused = a.status === 0 ? b : a;
    expect(JSON.parse(refused.text).error).toMatchObject({ code: 'NON_FAST_FORWARD', message: expect.stringContaining('origin/main') });
    const winnerHead = await commitOf(winner);
    const loserHead = await commitOf(loser);
    // The loser's commit is still its own, and the remote has the winner's.
    await ok(['fetch', '-q'], loser);
    expect(await commitOf(loser, 'origin/main')).toBe(winnerHead);
    expect(await commitOf(loser)).toBe(loserHead);
    // On top of the winner's commit, a new commit pushes.
    await ok(['branch', 'retry', 'origin/main'], loser);
    await ok(['switch', 'retry'], loser);
    writeFileSync(join(loser, 'again.txt'), 'again\n');
    await ok(['add', '-A', '-q'], loser);
    await ok(['commit', '-q', '-m', 'again'], loser);
    const pushed = await json(['push', 'origin', 'retry:main'], loser);
    expect(pushed.refs[0]).toMatchObject({ ref: 'refs/heads/main', from: winnerHead, status: 'fast-forward' });
    expect((await json(['verify', '--remote', 'origin'], loser)).ok).toBe(true);
    // The loser's own main has diverged from the remote's: refused before anything is sent, named as the race names it.
    const diverged = await sh(['push', '--json', 'origin', 'main'], loser);
    expect(diverged.status).toBe(11);
    expect(JSON.parse(diverged.text).error).toMatchObject({ code: 'NON_FAST_FORWARD', message: expect.stringContaining('origin/main is not an ancestor') });
  });

  it('a push killed midway and run again sends no pack twice; the remote then verifies and clones', async () => {
    // Through a proxy that carries 1 MiB a second up each connection: the push is surely midway when killed.
    const proxy = await faultyProxy();
    try {
      const { work, url, bucket } = await repositoryWithRemote(proxy.endpoint);
      // Small packs, so that the push has many to send.
      const configPath = join(work, '.store', 'config');
      const config = JSON.parse(readFileSync(configPath, 'utf8'));
      writeFileSync(configPath, JSON.stringify({ ...config, packTargetBytes: 1024 * 1024 }));
      for (let i = 0; i < 24; i++) writeFileSync(join(work, `big-${i}.bin`), pseudoRandomBytes(1024 * 1024, 100 + i));
      await ok(['add', '-A', '-q'], work);
      await ok(['commit', '-q', '-m', 'big'], work);
      proxy.limitRate(1024 * 1024);
      const child = spawn(process.execPath, [STORE_BIN, 'push', '-q'], { cwd: work, env: { ...process.env, ...env }, stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
      for (let tries = 0; tries < 600 && (await remoteKeys(bucket, 'packs/')).length < 3; tries++) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGKILL');
      await exited;
      proxy.limitRate(Number.POSITIVE_INFINITY);
      const before = new Set((await remoteKeys(bucket, 'packs/')).map((key) => key.replace(/^packs\/..\//, '').replace(/\.pack$/, '')));
      expect(before.size).toBeGreaterThanOrEqual(3);
      expect(await remoteKeys(bucket, 'refs/')).toEqual([]); // the ref moves last
      const rerun = await json(['push'], work);
      expect(rerun.sent.filter((name: string) => before.has(name))).toEqual([]);
      expect(rerun.alreadyThere.length).toBeGreaterThanOrEqual(before.size);
      const localPacks = readdirSync(join(work, '.store', 'packs'), { recursive: true }).filter((path) => String(path).endsWith('.pack'));
      expect(localPacks.length).toBeGreaterThan(before.size);
      expect(rerun.sent.length).toBeGreaterThan(0);
      expect(rerun.sent.length + rerun.alreadyThere.length).toBe(localPacks.length); // a first push: every pack
      expect(new Set([...rerun.sent, ...rerun.alreadyThere]).size).toBe(localPacks.length);
      expect(await json(['verify', '--remote', 'origin', '--read-data'], work)).toMatchObject({ ok: true });
      const parent = temporaryDirectory('store-killed-');
      await ok(['clone', url, 'c', '--endpoint', s3.endpoint, '-q'], parent);
      expect(readFileSync(join(parent, 'c', 'big-23.bin')).equals(pseudoRandomBytes(1024 * 1024, 123))).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('the server stopping mid-push: status 12 naming the remote, the remote still valid; throttling (503 SlowDown) is retried', async () => {
    const proxy = await faultyProxy();
    try {
      const { work, url } = await repositoryWithRemote(proxy.endpoint);
      writeFileSync(join(work, 'big.bin'), pseudoRandomBytes(3 * 1024 * 1024, 5));
      await ok(['add', '-A', '-q'], work);
      await ok(['commit', '-q', '-m', 'big'], work);
      proxy.cutAfterBytes(1024 * 1024);
      const stopped = await sh(['push'], work);
      expect(stopped.status).toBe(12);
      expect(stopped.stderr).toContain(url);
      expect(stopped.stderr).not.toContain(s3.secretAccessKey);
      // The remote is as before the push (no ref): valid, and a push straight to the server completes.
      await ok(['remote', 'remove', 'origin'], work);
      await ok(['remote', 'add', 'origin', url, '--endpoint', s3.endpoint], work);
      expect((await json(['verify', '--remote', 'origin'], work)).ok).toBe(true);
      await ok(['push', '-q'], work);

      const throttling = await faultyProxy();
      try {
        await ok(['remote', 'add', 'slow', url, '--endpoint', throttling.endpoint], work);
        throttling.throttle(2);
        const fetched = await json(['fetch', 'slow'], work);
        expect(throttling.throttled()).toBe(2);
        expect(fetched.updated).toEqual([{ ref: 'refs/remotes/slow/main', to: expect.any(String) }]);
      } finally {
        await throttling.close();
      }
    } finally {
      await proxy.close();
    }
  });

  it('a damaged pack on the remote is named (status 8) and never kept; verify --remote --read-data finds it', async () => {
    const { work, url, bucket } = await repositoryWithRemote();
    await ok(['push', '-q'], work);
    const [packKey] = await remoteKeys(bucket, 'packs/');
    const name = packKey!.replace(/^packs\/..\//, '').replace(/\.pack$/, '');
    const local = readFileSync(join(work, '.store', 'packs', name.slice(0, 2), `${name}.pack`));
    const damaged = Buffer.from(local);
    damaged[Math.floor(damaged.length / 2)]! ^= 0x01;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `repo/${packKey}`, Body: damaged }));
    const parent = temporaryDirectory('store-damaged-');
    const clone = await sh(['clone', url, 'x', '--endpoint', s3.endpoint], parent);
    expect(clone.status).toBe(8);
    expect(clone.stderr).toContain(name);
    expect(existsSync(join(parent, 'x'))).toBe(false);
    const verify = await sh(['verify', '--remote', 'origin', '--read-data', '--json'], work);
    expect(verify.status).toBe(8);
    expect(JSON.parse(verify.text).damage.join('\n')).toContain(name);
  });

  it('a remote emptied since the last push gets every pack again (what was remembered of it is dropped)', async () => {
    const { work, bucket } = await repositoryWithRemote();
    const first = await json(['push'], work);
    for (const key of await remoteKeys(bucket, '')) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `repo/${key}` }));
    const again = await json(['push'], work);
    expect(again.refs[0].status).toBe('created');
    expect(again.sent.sort()).toEqual([...first.sent].sort());
    expect(await json(['verify', '--remote', 'origin', '--read-data'], work)).toMatchObject({ ok: true });
  });

  it('on a terminal, push draws a progress bar with packs, bytes, rate and ETA', async () => {
    const proxy = await faultyProxy();
    try {
      const { work } = await repositoryWithRemote(proxy.endpoint);
      writeFileSync(join(work, 'big.bin'), pseudoRandomBytes(3 * 1024 * 1024, 11));
      await ok(['add', '-A', '-q'], work);
      await ok(['commit', '-q', '-m', 'big'], work);
      proxy.limitRate(1024 * 1024); // a few seconds: the bar is drawn ten times a second
      const log = join(temporaryDirectory(), 'push-terminal.log');
      // `script` gives the command a terminal, as a user's shell would.
      const pushed = await run('script', ['-qfec', `"${process.execPath}" "${STORE_BIN}" push`, log], { cwd: work, env });
      expect(pushed.status).toBe(0);
      const screen = readFileSync(log, 'latin1');
      expect(screen).toMatch(/sending +\[[^\]]*\] \d+% \| \d+\/\d+ packs \| [\d.]+ [KMG]?i?B \/ [\d.]+ [KMG]?i?B \| [\d.]+ MB\/s \| ETA \S+/);
      expect(screen).toContain('main -> main');
    } finally {
      await proxy.close();
    }
  });

  it('a remote with no repository: fetch and clone say so (status 5); --json output is JSON', async () => {
    const { work } = await repositoryWithRemote();
    const fetch = await sh(['fetch', '--json'], work);
    expect(fetch.status).toBe(5);
    expect(JSON.parse(fetch.text).error).toMatchObject({ code: 'REMOTE_NOT_FOUND' });
    const parent = temporaryDirectory('store-empty-');
    const clone = await sh(['clone', `s3://${newBucket()}/none`, 'y', '--endpoint', s3.endpoint], parent);
    expect(clone.status).toBe(5);
    expect(existsSync(join(parent, 'y'))).toBe(false);
    expect((await run('true', [], { cwd: parent })).status).toBe(0);
  });
  it('an https endpoint whose certificate NODE_EXTRA_CA_CERTS names is trusted, with store run as a program (bin/run.js starts node without it and puts it back)', async () => {
    const proxy = await tlsProxy();
    try {
      const { work, bucket } = await repositoryWithRemote(proxy.endpoint);
      // As a user runs it: the file executed, so its shell line moves the variable aside.
      const asProgram = (args: string[], caCerts: string) => run(STORE_BIN, args, { cwd: work, env: { ...env, NODE_EXTRA_CA_CERTS: caCerts } });
      const untrusted = await asProgram(['push'], '');
      expect(untrusted.status).toBe(12);
      expect(untrusted.stderr).toMatch(/self[- ]signed certificate/);
      const unreadable = await asProgram(['push'], join(work, 'no-such.pem'));
      expect(unreadable.status).toBe(2);
      expect(unreadable.stderr).toContain(`NODE_EXTRA_CA_CERTS names '${join(work, 'no-such.pem')}', which can't be read (ENOENT)`);
      expect(await remoteKeys(bucket, 'refs/')).toEqual([]);
      const pushed = await asProgram(['push', '-q'], proxy.certificate);
      expect(pushed.stderr).toBe('');
      expect(pushed.status).toBe(0);
      expect(await remoteKeys(bucket, 'refs/')).toEqual(['refs/heads/main']);
      const clone = join(temporaryDirectory('store-clone-'), 'c');
      const cloned = await run(STORE_BIN, ['clone', `s3://${bucket}/repo`, clone, '--endpoint', proxy.endpoint, '-q'], {
        cwd: work,
        env: { ...env, NODE_EXTRA_CA_CERTS: proxy.certificate },
      });
      expect(cloned.status, cloned.stderr).toBe(0);
      expect(readFileSync(join(clone, 'd', 'data.bin'))).toEqual(readFileSync(join(work, 'd', 'data.bin')));
    } finally {
      await proxy.close();
    }
  });
});

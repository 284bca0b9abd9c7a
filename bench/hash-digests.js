// How the BLAKE3 binding's digests cost memory: a million hashes of 60 bytes through the one-shot
// `blake3()`, through a hasher's `digestBuffer()`, through `digest('hex')` turned back into a Buffer
// (what src/core/hash.ts did), and through the one-shot `blake3UrlSafeBase64()` turned back into a
// Buffer (what it does: one call into the binding instead of three), each in a process of its own,
// with the anonymous RSS and time.
//
//   node bench/hash-digests.js          (after npm ci; needs no build)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const COUNT = 1_000_000;
const mode = process.argv[2];

if (mode === undefined) {
  console.log('| digest path | anonymous RSS after, MB | ms |\n| --- | --- | --- |');
  for (const path of ['blake3', 'digestBuffer', 'hex', 'base64url']) {
    const result = spawnSync(process.execPath, [import.meta.filename, path], { encoding: 'utf8' });
    console.log(result.stdout.trim() || result.stderr);
  }
} else {
  const blake = createRequire(import.meta.url)('@napi-rs/blake-hash');
  const anonMb = () => Math.round(Number(/RssAnon:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024);
  const data = Buffer.alloc(60, 7);
  const hasher = new blake.Blake3Hasher();
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) {
    if (mode === 'blake3') blake.blake3(data);
    else if (mode === 'digestBuffer') hasher.update(data).digestBuffer();
    else if (mode === 'hex') Buffer.from(hasher.update(data).digest('hex'), 'hex');
    else Buffer.from(blake.blake3UrlSafeBase64(data), 'base64url');
    if (mode !== 'base64url') hasher.reset();
  }
  const ms = Math.round(performance.now() - started);
  await new Promise((resolve) => setTimeout(resolve, 100)); // a turn of the event loop, for finalizers
  console.log(`| ${mode} | ${anonMb()} | ${ms} |`);
}

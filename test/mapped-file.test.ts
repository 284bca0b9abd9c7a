import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as immediate } from 'node:timers/promises';
import { expect, it } from 'vitest';
// The compiled modules (`npm test` builds first).
import { mapFile } from '../dist/core/mapped-file.js';
import { collectGarbageNow } from '../dist/core/memory.js';
import { callNative } from '../dist/core/native.js';
import { temporaryDirectory } from './helpers.js';

const MAPPED_BYTES = 32 * 1024 * 1024;
/** Far less than the mapping: what else the process allocates meanwhile. */
const TOLERANCE = 4 * 1024 * 1024;

/** V8's own count of external memory (not process.memoryUsage().external: see the addon). */
const v8ExternalMemory = (): number => callNative('', (addon) => addon.externalMemoryCount());

/** Collections, and the turns of the event loop on which finalizers run. */
async function collectAll(): Promise<void> {
  for (let round = 0; round < 4; round++) {
    collectGarbageNow();
    await immediate();
  }
}

it("a file's mapping is not counted as V8's external memory, and the count is whole again once it is collected", async () => {
  const file = join(temporaryDirectory('store-mapped-'), 'mapped');
  writeFileSync(file, Buffer.alloc(MAPPED_BYTES, 7));
  await collectAll();
  const before = v8ExternalMemory();
  let mapped = mapFile(file);
  expect(mapped?.bytes.length).toBe(MAPPED_BYTES);
  expect(mapped?.bytes[MAPPED_BYTES - 1]).toBe(7);
  // Counted, the mapping would add its 32 MB here (and a large one start a major collection).
  expect(Math.abs(v8ExternalMemory() - before)).toBeLessThan(TOLERANCE);
  mapped = undefined;
  await collectAll();
  // Taken off and never put back, the count would end 32 MB below where it began.
  expect(Math.abs(v8ExternalMemory() - before)).toBeLessThan(TOLERANCE);
});

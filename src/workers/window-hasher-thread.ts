import { parentPort } from 'node:worker_threads';
import { newHasher } from '../core/hash.js';
import { hashSpans } from './window-hasher.js';

/** Runs in the thread ThreadWindowHasher starts: one content at a time, windows in order. */
export type HashWindowRequest =
  | { kind: 'window'; window: Uint8Array; freshStart: number; freshEnd: number; spans: Uint32Array; skipContent: boolean }
  | { kind: 'contentId' }
  /** Unanswered: drops a half-hashed content. */
  | { kind: 'reset' };

export type HashWindowReply = { ids: Uint8Array; window: Uint8Array } | { contentId: Uint8Array } | { error: string };

if (parentPort) {
  const port = parentPort;
  let content = newHasher();
  port.on('message', (request: HashWindowRequest) => {
    try {
      if (request.kind === 'reset') {
        content = newHasher();
        return;
      }
      if (request.kind === 'contentId') {
        const id = content.digestBuffer();
        content = newHasher();
        port.postMessage({ contentId: id } satisfies HashWindowReply);
        return;
      }
      const window = Buffer.from(request.window.buffer, request.window.byteOffset, request.window.byteLength);
      if (!request.skipContent) content.update(window.subarray(request.freshStart, request.freshEnd));
      const ids = hashSpans(window, request.spans);
      // Both go back: the window is the caller's again.
      port.postMessage({ ids, window: request.window } satisfies HashWindowReply, [ids.buffer as ArrayBuffer, request.window.buffer as ArrayBuffer]);
    } catch (error) {
      port.postMessage({ error: (error as Error).message } satisfies HashWindowReply);
    }
  });
}

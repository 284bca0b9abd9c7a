import { parentPort } from 'node:worker_threads';
import { InlineWindowHasher, type HashWindowReply, type HashWindowRequest } from './window-hasher.js';

/** Runs in the thread ThreadWindowHasher starts: one content at a time, windows in order. */

if (parentPort) {
  const port = parentPort;
  // The same hashing as on the calling thread; this thread only adds the hand-over. Its promises are
  // already settled, so each message is answered before the next is taken.
  const hasher = new InlineWindowHasher();
  port.on('message', async (request: HashWindowRequest) => {
    try {
      if (request.kind === 'reset') {
        hasher.reset();
        return;
      }
      if (request.kind === 'contentId') {
        port.postMessage({ contentId: await hasher.contentId() } satisfies HashWindowReply);
        return;
      }
      const window = Buffer.from(request.window.buffer, request.window.byteOffset, request.window.byteLength);
      const { ids } = await hasher.hashWindow(window, { start: request.freshStart, end: request.freshEnd }, request.spans, request.skipContent);
      // Both go back: the window is the caller's again.
      port.postMessage({ ids, window: request.window } satisfies HashWindowReply, [ids.buffer as ArrayBuffer, request.window.buffer as ArrayBuffer]);
    } catch (error) {
      port.postMessage({ error: (error as Error).message } satisfies HashWindowReply);
    }
  });
}

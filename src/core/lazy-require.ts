import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * A CommonJS module (native addons, the WebAssembly chunker) loaded on first use rather than at
 * start-up: every command, even `store --version`, loads the whole CLI bundle, and these modules
 * cost ~30 ms together. Resolved from node_modules, from dist/ and from the bundle alike.
 */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireHere(id) as T);
}

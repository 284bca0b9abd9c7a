/**
 * The rules of the house (docs/ARCHITECTURE.md), checked by `npm test`: folders depend downward only,
 * in this order, and nothing may form a cycle.
 *
 *   cli, commands           the command line (oclif lives here and nowhere else)
 *   engine                  the verbs and their machinery
 *   repository              the facade: layout, config, refs, lock, writers and readers
 *   workers                 the thread pool and its thin entry points
 *   staging, store, remote  the staging area; packs, frames, compression; object storage (S3)
 *   catalog, chunking, objects
 *   core                    vocabulary, errors, hashing, file primitives
 */
const below = (...folders) => `^src/(${folders.join('|')})/`;

/** Each folder and the folders it may import (besides itself). */
const allowed = {
  core: [],
  objects: ['core'],
  chunking: ['core'],
  catalog: ['core'],
  store: ['core', 'catalog', 'objects'],
  remote: ['core'],
  staging: ['core', 'objects'],
  workers: ['core', 'store', 'chunking', 'objects'],
  repository: ['core', 'catalog', 'store', 'staging', 'objects', 'workers'],
  engine: ['core', 'catalog', 'store', 'staging', 'objects', 'workers', 'chunking', 'repository', 'remote'],
  // The command line: parse, call the engine, render. Threads, packs and the catalog are the engine's.
  commands: ['cli', 'core', 'engine', 'repository', 'objects'],
  cli: ['commands', 'core', 'engine', 'repository'],
};

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'a cycle ties modules that should stand apart', from: {}, to: { circular: true } },
    ...Object.entries(allowed).map(([folder, may]) => ({
      name: `${folder}-imports-only-below`,
      severity: 'error',
      comment: `src/${folder} may import only ${may.length === 0 ? 'itself' : may.join(', ')}`,
      from: { path: `^src/${folder}/` },
      to: { path: '^src/', pathNot: [`^src/${folder}/`, ...(may.length === 0 ? [] : [below(...may)])] },
    })),
    {
      name: 'oclif-only-in-the-command-line',
      severity: 'error',
      comment: 'library code never imports oclif (nor the command line)',
      from: { path: '^src/', pathNot: '^src/(cli|commands)/' },
      to: { path: ['@oclif', '^src/(cli|commands)/'] },
    },
    {
      name: 'engine-rooms-never-call-verbs',
      severity: 'error',
      comment: 'the rooms of the engine (its folders) serve the verbs (engine/*.ts) and never call one',
      from: { path: '^src/engine/[^/]+/' },
      to: { path: '^src/engine/[^/]+\\.ts$' },
    },
    {
      name: 'engine-verbs-never-call-verbs',
      severity: 'error',
      comment: 'a verb calls into the rooms, never into another verb',
      from: { path: '^src/engine/([^/]+)\\.ts$' },
      to: { path: '^src/engine/[^/]+\\.ts$', pathNot: '^src/engine/$1\\.ts$' },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'a module nothing imports is dead code',
      from: { orphan: true, pathNot: ['\\.d\\.ts$', '^src/cli/main\\.ts$', '^src/workers/(tasks|window-hasher-thread)\\.ts$'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|test|bench)/' },
  },
};

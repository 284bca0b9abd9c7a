// Makes dist/bundle/store.code-cache, V8's compiled code for the bundle, after `oclif manifest`.
// The cache is taken once the bundle's top-level code has run (the functions it compiled are in it)
// and before any command sets V8 flags: V8 rejects a cache made under other flags.
import { renameSync, writeFileSync } from 'node:fs';
import { CODE_CACHE_FILE, loadBundle } from '../bin/load-bundle.js';

const temporary = `${CODE_CACHE_FILE}.tmp`;
writeFileSync(temporary, loadBundle().codeCache());
renameSync(temporary, CODE_CACHE_FILE);

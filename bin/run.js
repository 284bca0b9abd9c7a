#!/usr/bin/env node
// The whole CLI is one bundled module (see build-tools/bundle.mjs): start-up time counts for every command.
import { run } from '../dist/bundle/store.js';

await run(import.meta.url);

#!/usr/bin/env node
// The whole CLI is one bundle (see build-tools/bundle.mjs), compiled from V8's code cache where it
// can be (bin/load-bundle.js): start-up time counts for every command.
import { loadBundle } from './load-bundle.js';

await loadBundle().exports.run(import.meta.url);

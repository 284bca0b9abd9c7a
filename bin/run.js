#!/bin/sh
':' //; if [ -n "${NODE_EXTRA_CA_CERTS-}" ]; then STORE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export STORE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; exec node "$0" "$@"
// A shell script and a CommonJS module at once: run as a program, the shell line above starts node on this
// file with NODE_EXTRA_CA_CERTS moved aside, because Node 20 parses its whole root store and that file
// at start (~35-50 ms of every command where it is set) and only a remote needs them. It is put back
// here, for the remote's TLS (src/remote/object-store.ts trusts it) and for every process store starts.
// `node bin/run.js` skips the shell line (to node, a string and a comment) and starts as usual.
// The whole CLI is one bundle (see build-tools/bundle.mjs), compiled from V8's code cache where it
// can be (bin/load-bundle.js): start-up time counts for every command. These two files are CommonJS
// (bin/package.json): an ES module as the entry point loads Node's ESM loader, ~3-5 ms a command.
const { join } = require('node:path');
const { loadBundle } = require('./load-bundle.js');

const movedCaCerts = process.env.STORE_EXTRA_CA_CERTS;
if (movedCaCerts !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = movedCaCerts;
  delete process.env.STORE_EXTRA_CA_CERTS;
}

// The package's root, where oclif finds package.json (bin/ has a package.json of its own).
loadBundle().exports.run(join(__dirname, '..'));

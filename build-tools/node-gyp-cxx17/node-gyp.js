#!/usr/bin/env node
'use strict';
// npm puts every node_modules/.bin on PATH ahead of its own node-gyp shim, so install scripts
// that call `node-gyp` land here. mmap-io 1.1.7 pins -std=c++11 in its binding.gyp, but Node 20's
// headers use C++17 (std::optional, std::string_view); a later -std in CXXFLAGS wins.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

const PACKAGES_NEEDING_CXX17 = new Set(['mmap-io']);

function findRealNodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp;
  }
  // npm ships node-gyp inside its own install, next to the npm CLI that runs us.
  const npmCli = process.env.npm_execpath;
  if (npmCli) {
    const candidate = path.join(path.dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('node-gyp-cxx17: cannot find npm\'s node-gyp (npm_config_node_gyp is not set)');
}

const env = { ...process.env };
if (PACKAGES_NEEDING_CXX17.has(env.npm_package_name)) {
  env.CXXFLAGS = `${env.CXXFLAGS ?? ''} -std=c++17`.trim();
}
const result = spawnSync(process.execPath, [findRealNodeGyp(), ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(result.status ?? 1);

/**
 * The CLI as one module: the entry point that build-tools/bundle.mjs bundles (with @oclif/core) into
 * dist/bundle/store.js, so that a command loads one file instead of ~250 (start-up time counts for
 * every command). `COMMANDS` is what oclif's explicit command discovery reads (package.json).
 */
import { execute } from '@oclif/core/execute';
import Add from '../commands/add.js';
import Branch from '../commands/branch.js';
import Checkout from '../commands/checkout.js';
import Commit from '../commands/commit.js';
import Diff from '../commands/diff.js';
import Gc from '../commands/gc.js';
import Get from '../commands/get.js';
import Init from '../commands/init.js';
import Log from '../commands/log.js';
import Proof from '../commands/proof/index.js';
import ProofVerify from '../commands/proof/verify.js';
import Repair from '../commands/repair.js';
import Reset from '../commands/reset.js';
import Rm from '../commands/rm.js';
import Stats from '../commands/stats.js';
import Status from '../commands/status.js';
import Switch from '../commands/switch.js';
import Tag from '../commands/tag.js';
import Verify from '../commands/verify.js';

export const COMMANDS = {
  add: Add,
  branch: Branch,
  checkout: Checkout,
  commit: Commit,
  diff: Diff,
  gc: Gc,
  get: Get,
  init: Init,
  log: Log,
  proof: Proof,
  'proof:verify': ProofVerify,
  repair: Repair,
  reset: Reset,
  rm: Rm,
  stats: Stats,
  status: Status,
  switch: Switch,
  tag: Tag,
  verify: Verify,
};

/** Runs the CLI; `binUrl` is the URL of bin/run.js, from which oclif finds package.json. */
export async function run(binUrl: string): Promise<void> {
  await execute({ dir: binUrl });
}

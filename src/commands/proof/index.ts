import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand, EXIT_STATUS_HELP } from '../../cli/base-command.js';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../core/fs-atomic.js';
import { buildProof } from '../../engine/proof.js';

export default class Proof extends BaseCommand<typeof Proof> {
  static override summary = 'Write a Merkle proof that a file with a given id sits at PATH in a commit.';
  static override description =
    `The proof (JSON) holds the commit object and, for each directory on the path, one tree entry and log2(entries) sibling hashes. Anyone can check it with \`store proof verify PROOF COMMIT\`, without the repository.\n\n${EXIT_STATUS_HELP}`;
  static override examples = ['<%= config.bin %> proof docs/report.pdf --at v1 -o report.proof.json'];
  static override args = { path: Args.string({ description: 'file to prove', required: true }) };
  static override flags = {
    at: Flags.string({ description: 'commit (default HEAD)' }),
    output: Flags.string({ char: 'o', description: 'write the proof to this file instead of stdout' }),
  };

  async run(): Promise<void> {
    const proof = buildProof(this.openRepository(), { path: this.args.path, at: this.flags.at, cwd: process.cwd() });
    const text = `${JSON.stringify(proof, null, 2)}\n`;
    if (this.flags.output === undefined) process.stdout.write(text);
    else {
      writeFileAtomic(this.flags.output, text);
      if (this.flags.json) this.printJson({ output: resolve(this.flags.output), path: proof.path, fileId: proof.fileId, commitId: proof.commitId });
    }
  }
}

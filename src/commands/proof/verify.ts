import * as Args from '@oclif/core/args';
import { readFileSync } from 'node:fs';
import { BaseCommand, EXIT_STATUS_HELP } from '../../cli/base-command.js';
import { quotePath } from '../../core/path-bytes.js';
import { StoreError } from '../../core/errors.js';
import { checkProof, type MerkleProof } from '../../objects/merkle-proof.js';

export default class ProofVerify extends BaseCommand<typeof ProofVerify> {
  static override summary = 'Check a Merkle proof against a commit id, using nothing else (no repository needed).';
  static override description = `Exits 0 when the proof holds, 8 when it does not (naming the step that fails).\n\n${EXIT_STATUS_HELP}`;
  static override args = {
    proof: Args.string({ description: 'proof file (JSON), or - for stdin', required: true }),
    commit: Args.string({ description: 'the commit id the proof must lead to (64 hex digits)', required: true }),
  };

  async run(): Promise<void> {
    const commitId = this.args.commit.toLowerCase();
    if (!/^[0-9a-f]{64}$/u.test(commitId)) {
      // A shortened id would let a forged commit that shares the prefix pass: the proof pins the whole id.
      throw new StoreError('INVALID_ARGUMENT', `'${this.args.commit}' is not a full commit id: a proof is checked against all 64 hex digits`, {
        hint: '`store log` prints full commit ids',
      });
    }
    let proof: MerkleProof;
    try {
      proof = JSON.parse(readFileSync(this.args.proof === '-' ? 0 : this.args.proof, 'utf8')) as MerkleProof;
    } catch (error) {
      throw new StoreError('INVALID_ARGUMENT', `cannot read the proof: ${(error as Error).message}`);
    }
    const problem = checkProof(proof, commitId);
    if (this.flags.json) this.printJson({ valid: problem === undefined, path: proof.path, fileId: proof.fileId, reason: problem });
    else if (problem === undefined) this.say(`valid: ${quotePath(proof.path)} has file id ${proof.fileId} in commit ${this.args.commit}`);
    if (problem !== undefined) {
      if (!this.flags.json) process.stderr.write(`invalid proof: ${problem}\n`);
      this.exit(8);
    }
  }
}

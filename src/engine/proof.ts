import { StoreError } from '../core/errors.js';
import { auditPath, type MerkleProof, type ProofLevel } from '../objects/merkle-proof.js';
import { encodeTreeEntry, merkleLeaf } from '../objects/tree.js';
import type { Repository } from '../repository/repository.js';
import { loadCommit, loadReferencedBlob, loadTree } from './history/objects-io.js';
import { toRepoPath } from './worktree/paths.js';
import { resolveCommit } from './history/revisions.js';
import { BlobType, EntryKind } from '../core/vocabulary.js';

/** Builds the Merkle proof that the file at `path` in a commit has the id it has. */
export function buildProof(repo: Repository, options: { path: string; at?: string; cwd: string }): MerkleProof {
  const path = toRepoPath(repo.workTree, options.cwd, options.path);
  const commitId = resolveCommit(repo, options.at ?? 'HEAD');
  const commitBytes = loadReferencedBlob(repo, Buffer.from(commitId, 'hex'), BlobType.Commit, 'a ref');
  let treeId: Buffer = Buffer.from(loadCommit(repo, commitId).treeId, 'hex');
  const levels: ProofLevel[] = [];
  const names = path.split('/');
  let fileId = '';
  names.forEach((name, depth) => {
    const entries = loadTree(repo, treeId);
    const index = entries.findIndex((entry) => entry.name === name);
    const entry = entries[index];
    const last = depth === names.length - 1;
    if (entry === undefined || (!last && entry.kind !== EntryKind.Directory) || (last && entry.kind === EntryKind.Directory)) {
      throw new StoreError('PATH_NOT_FOUND', `${options.path} is not a file in commit ${commitId.slice(0, 12)}`);
    }
    const leaves = entries.map((candidate) => merkleLeaf(encodeTreeEntry(candidate)));
    levels.push({
      entry: encodeTreeEntry(entry).toString('hex'),
      index,
      count: entries.length,
      siblings: auditPath(leaves, index).map((hash) => hash.toString('hex')),
    });
    if (last) fileId = entry.id.toString('hex');
    else treeId = entry.id;
  });
  return { format: 'store-proof-1', commitId, commit: commitBytes.toString('base64'), path, fileId, levels };
}

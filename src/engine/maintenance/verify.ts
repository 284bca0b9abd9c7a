import { countOf } from '../../core/count-of.js';
import { createReadStream } from 'node:fs';
import { CorruptionError, StoreError } from '../../core/errors.js';
import { newHasher } from '../../core/hash.js';
import type { Repository } from '../../repository/repository.js';
import type { BlobLocation } from '../../core/vocabulary.js';
import { packPath } from '../../store/pack-store.js';
import { openStaging } from '../../staging/staging-area.js';
import { IdSet } from '../../core/id-set.js';
import { collectEvery, collectGarbageNow, WALK_COLLECT_EVERY } from '../../core/memory.js';
import { fileRecord, loadCommit, loadFileMap, loadTree } from '../history/objects-io.js';
import { EntryKind, MAX_DELTA_DEPTH } from '../../core/vocabulary.js';

export type FindingKind =
  | 'missing-pack'
  | 'damaged-pack'
  | 'pack-hash-mismatch'
  | 'catalog-mismatch'
  | 'corrupt-blob'
  | 'missing-object'
  | 'corrupt-object'
  | 'missing-file-map'
  | 'corrupt-staging'
  | 'corrupt-catalog'
  | 'unindexed-pack';

export interface Finding {
  /** Damage means committed or staged data cannot be read back; a notice is harmless leftover. */
  severity: 'damage' | 'notice';
  kind: FindingKind;
  message: string;
  pack?: string;
  blobs?: string[];
}

export interface AffectedFile {
  /** Commit id, or "staging" for the staging area. */
  commit: string;
  path: string;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  readData: boolean;
  packsChecked: number;
  blobsChecked: number;
  commitsChecked: number;
  findings: Finding[];
  affected: AffectedFile[];
}

/**
 * Checks that the catalog and the packs agree, that every commit, tree and file reachable from a
 * branch or the staging area is complete, and (with readData) re-hashes every blob. Damage is named
 * precisely: which pack, which blobs, which files of which commits.
 */
export async function verifyRepository(repo: Repository, options: { readData: boolean }): Promise<VerifyReport> {
  const report: VerifyReport = { ok: true, readData: options.readData, packsChecked: 0, blobsChecked: 0, commitsChecked: 0, findings: [], affected: [] };
  const badBlobs = new Set<string>();
  const damage = (finding: Omit<Finding, 'severity'>): void => {
    report.findings.push({ severity: 'damage', ...finding });
    report.ok = false;
  };

  const quickCheck = repo.catalog.quickCheck();
  if (quickCheck !== 'ok') damage({ kind: 'corrupt-catalog', message: `catalog integrity check failed: ${quickCheck}; run \`store repair\`` });

  await checkPacks(repo, options.readData, report, badBlobs, damage);
  checkHistory(repo, report, badBlobs, damage);
  return report;
}

async function checkPacks(
  repo: Repository,
  readData: boolean,
  report: VerifyReport,
  badBlobs: Set<string>,
  damage: (finding: Omit<Finding, 'severity'>) => void,
): Promise<void> {
  const indexed = new Set<string>();
  const rowCounts = repo.catalog.blobCountsByPack();
  for (const pack of repo.catalog.packs()) {
    indexed.add(pack.name);
    report.packsChecked++;
    collectGarbageNow(); // the previous pack's records are garbage now
    let footer;
    try {
      footer = repo.packReader.readFooter(pack.name);
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      const ids = repo.catalog.blobIdsInPack(pack.id).map((id) => id.toString('hex'));
      for (const hex of ids) badBlobs.add(hex);
      damage({
        kind: error.message.includes('is missing') ? 'missing-pack' : 'damaged-pack',
        message: `${error.message}; ${countOf(ids.length, 'blob')} in it cannot be read`,
        pack: pack.name,
        blobs: ids,
      });
      continue;
    }
    const corrupt: string[] = [];
    const check = (blob: BlobLocation): void => {
      const hex = blob.id.toString('hex');
      if (badBlobs.has(hex)) return;
      try {
        repo.packReader.borrowBlob(blob); // verified as it is read: no copy needed
      } catch (error) {
        if (!(error instanceof CorruptionError)) throw error;
        corrupt.push(hex);
        badBlobs.add(hex);
      }
    };
    // Each of the footer's records, in the order of its place in the pack, is looked up in the
    // catalog: a row naming this pack must name the record's place and length. The footer may hold
    // more (gc forgets dead blobs); rows of this pack that no record accounts for (the catalog's
    // count of them tells) are found by a scan, only then. With `readData`, each whole blob is read
    // (verified) as it is met; deltas after, since reading one reads its bases, elsewhere. Rows are
    // not kept: a pack of 65,536 small blobs listed whole took ~90 MB of RSS (1,000,000 files, by hand).
    const records = footer.blobs.sort((a, b) => a.frameIndex - b.frameIndex || a.offsetInFrame - b.offsetInFrame);
    const mismatched: string[] = [];
    const deltas: BlobLocation[] = [];
    let matched = 0;
    for (const record of records) {
      const blob = repo.catalog.blobLocation(record.id);
      if (blob === undefined || blob.packName !== pack.name) continue;
      const frame = footer.frames[record.frameIndex]!;
      if (frame.offset !== blob.frameOffset || record.offsetInFrame !== blob.offsetInFrame || record.length !== blob.length) {
        mismatched.push(blob.id.toString('hex'));
        continue;
      }
      matched++;
      if (!readData) continue;
      if (blob.basePrefix === undefined) check(blob);
      else deltas.push(blob);
    }
    if (matched + mismatched.length < (rowCounts.get(pack.id) ?? 0)) {
      const inFooter = new Set(records.map((record) => record.id.toString('hex')));
      for (const id of repo.catalog.blobIdsInPack(pack.id)) if (!inFooter.has(id.toString('hex'))) mismatched.push(id.toString('hex'));
    }
    for (const hex of mismatched) badBlobs.add(hex);
    if (mismatched.length > 0) {
      damage({
        kind: 'catalog-mismatch',
        message: `pack ${pack.name}: ${countOf(mismatched.length, 'blob')} not where the catalog says they are`,
        pack: pack.name,
        blobs: mismatched,
      });
    }
    if (!readData) continue;
    report.blobsChecked += matched + mismatched.length;
    for (const blob of deltas) check(blob);
    if (corrupt.length > 0) {
      damage({ kind: 'corrupt-blob', message: `pack ${pack.name}: hash mismatch in ${countOf(corrupt.length, 'blob')}`, pack: pack.name, blobs: corrupt });
    }
    const actualName = await hashFile(packPath(repo.layout.packs, pack.name));
    if (actualName !== pack.name) {
      damage({ kind: 'pack-hash-mismatch', message: `pack ${pack.name}: its bytes hash to ${actualName}`, pack: pack.name });
    }
  }
  for (const name of await repo.packStore.list()) {
    if (!indexed.has(name)) {
      report.findings.push({
        severity: 'notice',
        kind: 'unindexed-pack',
        message: `pack ${name} is not in the catalog (left by an interrupted command): \`store repair\` indexes it, \`store gc\` removes it`,
        pack: name,
      });
    }
  }
}

function checkHistory(repo: Repository, report: VerifyReport, badBlobs: Set<string>, damage: (finding: Omit<Finding, 'severity'>) => void): void {
  // Contents found complete, in a compact set (IdSet: not a hex string each); the few with a problem,
  // by hex id.
  const completeFiles = new IdSet();
  const fileProblems = new Map<string, string>();
  const treeComplete = new Map<string, boolean>();

  const pace = collectEvery(WALK_COLLECT_EVERY);
  const fileProblem = (fileId: Buffer): string | null => {
    pace();
    if (completeFiles.has(fileId)) return null;
    const hex = fileId.toString('hex');
    const cached = fileProblems.get(hex);
    if (cached !== undefined) return cached;
    let problem: string | null = null;
    const record = fileRecord(repo, fileId);
    if (record === undefined) problem = 'its file map (or its one chunk) is missing';
    else {
      const filemapId = record.filemapId;
      if (filemapId !== undefined && (badBlobs.has(filemapId.toString('hex')) || !repo.catalog.hasBlob(filemapId)))
        problem = 'its file map blob is missing or damaged';
      else {
        try {
          for (const chunk of loadFileMap(repo, fileId, record).chunks) {
            const chunkHex = chunk.id.toString('hex');
            const location = repo.catalog.blobLocation(chunk.id);
            if (location === undefined) problem = `chunk ${chunkHex} is missing`;
            else if (badBlobs.has(chunkHex) || location.basePrefix !== undefined) problem = deltaProblem(repo, location, badBlobs);
            if (problem) break;
          }
        } catch (error) {
          if (!(error instanceof StoreError)) throw error;
          problem = error.message;
        }
      }
    }
    if (problem === null) completeFiles.add(fileId);
    else fileProblems.set(hex, problem);
    return problem;
  };

  const walkTree = (commit: string, treeId: Buffer, prefix: string, depth = 0): boolean => {
    const hex = treeId.toString('hex');
    if (treeComplete.get(hex) === true) return true;
    let entries;
    try {
      if (badBlobs.has(hex)) throw new CorruptionError('CORRUPT_OBJECT', `tree ${hex} is in a damaged pack`);
      entries = loadTree(repo, treeId, depth);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      report.affected.push({ commit, path: prefix || '/', reason: error.message });
      treeComplete.set(hex, false);
      return false;
    }
    let complete = true;
    for (const entry of entries) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.kind === EntryKind.Directory) {
        complete = walkTree(commit, entry.id, path, depth + 1) && complete;
        continue;
      }
      const problem = fileProblem(entry.id);
      if (problem !== null) {
        complete = false;
        report.affected.push({ commit, path, reason: problem });
      }
    }
    treeComplete.set(hex, complete);
    return complete;
  };

  const seenCommits = new Set<string>();
  for (const root of repo.refs.rootCommits()) {
    let commitId: string | undefined = root;
    while (commitId !== undefined && !seenCommits.has(commitId)) {
      const current: string = commitId;
      seenCommits.add(current);
      report.commitsChecked++;
      commitId = undefined;
      try {
        if (badBlobs.has(current)) throw new CorruptionError('CORRUPT_OBJECT', `commit ${current} is in a damaged pack`);
        const commit = loadCommit(repo, current);
        for (const [what, id] of [
          ['file times', commit.timesId],
          ['file modes', commit.modesId],
        ] as const) {
          if (id !== undefined && (badBlobs.has(id) || !repo.catalog.hasBlob(Buffer.from(id, 'hex')))) {
            report.affected.push({ commit: current, path: `(${what})`, reason: `${what} blob ${id} is missing or damaged` });
          }
        }
        walkTree(current, Buffer.from(commit.treeId, 'hex'), '');
        commitId = commit.parentId;
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        report.affected.push({ commit: current, path: '(commit)', reason: error.message });
      }
    }
  }

  try {
    for (const entry of openStaging(repo.layout.staging)) {
      const problem = fileProblem(entry.fileId);
      if (problem !== null) report.affected.push({ commit: 'staging', path: entry.path, reason: problem });
    }
  } catch (error) {
    if (!(error instanceof CorruptionError)) throw error;
    damage({ kind: 'corrupt-staging', message: `${error.message}; \`store reset\` rebuilds it from HEAD` });
  }

  if (report.affected.length > 0) {
    report.ok = false;
    const missing = report.affected.filter((item) => item.reason.includes('missing'));
    if (missing.length > 0 && !report.findings.some((finding) => finding.severity === 'damage')) {
      damage({ kind: 'missing-object', message: `${countOf(missing.length, 'file or object')} referring to blobs the catalog does not have` });
    }
  }
}

/**
 * What is wrong with a blob read through its chain of delta bases, or null: the damaged or missing
 * blob furthest down the chain is named, since every version stored against it is lost with it.
 */
function deltaProblem(repo: Repository, location: BlobLocation, badBlobs: ReadonlySet<string>): string | null {
  const hex = location.id.toString('hex');
  let cause: string | null = badBlobs.has(hex) ? 'damaged' : null;
  for (let at = repo.catalog.withBases(location), depth = 0; at.basePrefix !== undefined; depth++) {
    if (depth >= MAX_DELTA_DEPTH) return `chunk ${hex} lies in a chain of bases longer than ${MAX_DELTA_DEPTH}`;
    if (at.base === undefined) return `chunk ${hex} is stored as a delta of ${at.basePrefix.toString('hex')}..., which is missing`;
    const baseHex = at.base.id.toString('hex');
    if (badBlobs.has(baseHex)) cause = `stored as a delta of ${baseHex}, which is damaged`;
    at = at.base;
  }
  if (cause === null) return null;
  return cause === 'damaged' ? `chunk ${hex} is damaged` : `chunk ${hex} is ${cause}`;
}

async function hashFile(path: string): Promise<string> {
  const hasher = newHasher();
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) hasher.update(chunk as Buffer);
  return hasher.digest('hex');
}

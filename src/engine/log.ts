import type { Repository } from '../repository/repository.js';
import { DETACHED } from '../repository/refs.js';
import { loadCommit } from './history/objects-io.js';
import { resolveCommit } from './history/revisions.js';
import { findInTree } from './history/tree-walk.js';
import { toRepoPath } from './worktree/paths.js';

export interface LogEntry {
  commitId: string;
  treeId: string;
  parentId: string | undefined;
  author: string;
  time: string;
  timeMs: number;
  message: string;
  fileCount: number;
  logicalBytes: number;
}

export interface LogOptions {
  /** Commits to start from (default HEAD). */
  starts?: readonly string[];
  /** Start from every branch, tag and remote-tracking branch, and HEAD (git's --all). */
  all?: boolean;
  limit?: number;
  /** Only commits that change something under these paths (relative to `cwd`). */
  paths?: readonly string[];
  cwd?: string;
}

/**
 * Commits reachable from the starts, newest first (by commit time; each commit once), as git log
 * lists them. With `paths`, only those whose tree differs from their parent's under one of them,
 * compared by the ids of the entries at those paths (no tree below them read).
 */
export function* walkLog(repo: Repository, options: LogOptions = {}): Generator<LogEntry> {
  // --all: rootCommits holds every branch, tag and remote-tracking branch, and a detached HEAD.
  const starts = options.all ? repo.refs.rootCommits() : (options.starts ?? []).map((start) => resolveCommit(repo, start));
  if (!options.all && starts.length === 0 && repo.refs.headCommit() !== undefined) starts.push(resolveCommit(repo, 'HEAD'));
  const scopes = options.paths?.map((path) => toRepoPath(repo.workTree, options.cwd ?? process.cwd(), path));
  const seen = new Set<string>();
  const frontier: LogEntry[] = [];
  const enqueue = (commitId: string | undefined): void => {
    if (commitId === undefined || seen.has(commitId)) return;
    seen.add(commitId);
    frontier.push(entryOf(repo, commitId));
  };
  starts.forEach(enqueue);
  let shown = 0;
  while (frontier.length > 0 && (options.limit === undefined || shown < options.limit)) {
    let newest = 0;
    for (let i = 1; i < frontier.length; i++) if (frontier[i]!.timeMs > frontier[newest]!.timeMs) newest = i;
    const [entry] = frontier.splice(newest, 1) as [LogEntry];
    enqueue(entry.parentId);
    if (scopes !== undefined && !touches(repo, entry, scopes)) continue;
    shown++;
    yield entry;
  }
}

/** readLog as an array (a history is short next to a tree: a commit is ~200 bytes). */
export function readLog(repo: Repository, options: LogOptions = {}): LogEntry[] {
  return [...walkLog(repo, options)];
}

function entryOf(repo: Repository, commitId: string): LogEntry {
  const commit = loadCommit(repo, commitId);
  return {
    commitId,
    treeId: commit.treeId,
    parentId: commit.parentId,
    author: commit.author,
    time: new Date(commit.timeMs).toISOString(),
    timeMs: commit.timeMs,
    message: commit.message,
    fileCount: commit.fileCount,
    logicalBytes: commit.logicalBytes,
  };
}

/** Whether a commit changed anything under one of `scopes` from its parent (a root commit: whether it has it). */
function touches(repo: Repository, entry: LogEntry, scopes: readonly string[]): boolean {
  const parentTree = entry.parentId === undefined ? undefined : Buffer.from(loadCommit(repo, entry.parentId).treeId, 'hex');
  const tree = Buffer.from(entry.treeId, 'hex');
  return scopes.some((scope) => {
    if (scope === '') return parentTree === undefined || !parentTree.equals(tree);
    const now = findInTree(repo, tree, scope);
    const before = parentTree === undefined ? undefined : findInTree(repo, parentTree, scope);
    if (now === undefined || before === undefined) return now !== before;
    return now.kind !== before.kind || !now.id.equals(before.id);
  });
}

/**
 * What git log decorates each commit with: `HEAD -> main` (or `HEAD` when detached), `tag: v1`,
 * other branches, remote-tracking branches `origin/main`; by commit id.
 */
export function decorations(repo: Repository): Map<string, string[]> {
  const byCommit = new Map<string, string[]>();
  const add = (commitId: string | undefined, label: string): void => {
    if (commitId === undefined) return;
    const labels = byCommit.get(commitId) ?? [];
    labels.push(label);
    byCommit.set(commitId, labels);
  };
  const current = repo.refs.currentBranch();
  if (repo.refs.headRef() === DETACHED) add(repo.refs.headCommit(), 'HEAD');
  else add(repo.refs.headCommit(), `HEAD -> ${current}`);
  for (const tag of repo.refs.tags()) add(repo.refs.read(`refs/tags/${tag}`), `tag: ${tag}`);
  for (const branch of repo.refs.branches()) if (branch !== current) add(repo.refs.read(`refs/heads/${branch}`), branch);
  for (const tracking of repo.refs.remoteTrackingNames()) add(repo.refs.read(`refs/remotes/${tracking}`), tracking);
  return byCommit;
}

import type { Repository } from '../repository/repository.js';
import { loadCommit } from './history/objects-io.js';
import { resolveCommit } from './history/revisions.js';

export interface LogEntry {
  commitId: string;
  treeId: string;
  parentId: string | undefined;
  author: string;
  time: string;
  message: string;
  fileCount: number;
  logicalBytes: number;
}

/** Commits from `start` (HEAD by default) back along first parents, newest first. */
export function readLog(repo: Repository, options: { start?: string; limit?: number } = {}): LogEntry[] {
  if (options.start === undefined && repo.refs.headCommit() === undefined) return [];
  const entries: LogEntry[] = [];
  let commitId: string | undefined = resolveCommit(repo, options.start ?? 'HEAD');
  while (commitId !== undefined && (options.limit === undefined || entries.length < options.limit)) {
    const commit = loadCommit(repo, commitId);
    entries.push({
      commitId,
      treeId: commit.treeId,
      parentId: commit.parentId,
      author: commit.author,
      time: new Date(commit.timeMs).toISOString(),
      message: commit.message,
      fileCount: commit.fileCount,
      logicalBytes: commit.logicalBytes,
    });
    commitId = commit.parentId;
  }
  return entries;
}

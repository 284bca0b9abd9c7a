import type { LogEntry } from '../engine/log.js';
import { formatBytes, shortId } from './format.js';

/** A commit as log and show print it: git's medium format, or a git --format template. */

/** git log's default (medium) format, with the files and bytes the commit holds. */
export function mediumFormat(entry: LogEntry, labels: string[] | undefined): string {
  return [
    `commit ${entry.commitId}${labels === undefined ? '' : ` (${labels.join(', ')})`}`,
    `Author: ${entry.author}`,
    `Date:   ${entry.time}`,
    `Files:  ${entry.fileCount} (${formatBytes(entry.logicalBytes)})`,
    '',
    ...entry.message.split('\n').map((line) => `    ${line}`),
  ].join('\n');
}

/** A commit through a git --format template. */
export function formatCommit(template: string, entry: LogEntry, labels: string[] | undefined): string {
  const [subject = '', ...rest] = entry.message.split('\n');
  const body = rest.join('\n').replace(/^\n+/u, '');
  const fields: Record<string, string> = {
    H: entry.commitId,
    h: shortId(entry.commitId),
    T: entry.treeId,
    t: shortId(entry.treeId),
    P: entry.parentId ?? '',
    p: entry.parentId === undefined ? '' : shortId(entry.parentId),
    an: entry.author,
    ad: entry.time,
    aI: entry.time,
    ai: entry.time,
    at: String(Math.floor(entry.timeMs / 1000)),
    s: subject,
    b: body,
    B: entry.message,
    d: labels === undefined ? '' : ` (${labels.join(', ')})`,
    D: labels?.join(', ') ?? '',
    n: '\n',
    '%': '%',
  };
  return template.replace(/%(an|ad|aI|ai|at|[HhTtPpsbBdDn%])/gu, (_, field: string) => fields[field]!);
}

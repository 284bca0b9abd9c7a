import { StoreError } from '../core/errors.js';
import { resolveCommit } from '../engine/history/revisions.js';
import type { Repository } from '../repository/repository.js';

/** Whether `word` names a commit (else git's commands take it as a path). */
export function namesCommit(repo: Repository, word: string): boolean {
  try {
    resolveCommit(repo, word);
    return true;
  } catch (error) {
    if (error instanceof StoreError && error.code === 'COMMIT_NOT_FOUND') return false;
    throw error;
  }
}

/**
 * The words of `log A B -- P Q` or `diff A B -- P`: revisions before `--`, paths after. Without `--`, the leading words that
 * name commits are revisions and the rest are paths, as git guesses; before a `--`, a word that names
 * no commit is an error.
 */
export function revisionsAndPaths(repo: Repository, words: readonly string[]): { revisions: string[]; paths: string[] } {
  const afterSeparator = wordsAfterSeparator();
  const firstPath = words.length - (afterSeparator ?? 0);
  const before = words.slice(0, firstPath);
  const paths = words.slice(firstPath);
  const revisions: string[] = [];
  const guessed: string[] = [];
  for (const word of before) {
    if (guessed.length === 0 && namesCommit(repo, word)) revisions.push(word);
    else if (afterSeparator !== undefined) throw new StoreError('COMMIT_NOT_FOUND', `unknown revision ${word}`, { hint: 'paths go after --' });
    else guessed.push(word);
  }
  return { revisions, paths: [...guessed, ...paths] };
}

/** How many of the command's words follow `--` (undefined: no `--`). oclif drops the `--` itself, so it is found in the process's arguments. */
export function wordsAfterSeparator(): number | undefined {
  const separator = process.argv.indexOf('--');
  return separator < 0 ? undefined : process.argv.length - separator - 1;
}

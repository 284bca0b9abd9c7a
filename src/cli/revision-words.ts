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
 * The words of `log A B -- P Q` or `diff A B -- P`: revisions before `--`, paths after (oclif drops
 * the `--` itself, so it is found in the process's arguments). Without `--`, the leading words that
 * name commits are revisions and the rest are paths, as git guesses; before a `--`, a word that names
 * no commit is an error.
 */
export function revisionsAndPaths(repo: Repository, words: readonly string[]): { revisions: string[]; paths: string[] } {
  const separator = process.argv.indexOf('--');
  const afterSeparator = separator < 0 ? 0 : process.argv.length - separator - 1;
  const before = words.slice(0, words.length - afterSeparator);
  const paths = words.slice(words.length - afterSeparator);
  const revisions: string[] = [];
  const guessed: string[] = [];
  for (const word of before) {
    if (guessed.length === 0 && namesCommit(repo, word)) revisions.push(word);
    else if (separator >= 0) throw new StoreError('COMMIT_NOT_FOUND', `unknown revision ${word}`, { hint: 'paths go after --' });
    else guessed.push(word);
  }
  return { revisions, paths: [...guessed, ...paths] };
}

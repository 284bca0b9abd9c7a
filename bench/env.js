import { spawnSync } from 'node:child_process';

/** The environment every benchmark runs the tools in: fixed authors, and restic's and borg's answers to their questions. */
export const BENCH_ENV = {
  ...process.env,
  STORE_AUTHOR: 'bench',
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'b@b',
  RESTIC_PASSWORD: 'bench',
  BORG_PASSPHRASE: '',
  BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
  BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
};

/** Whether `command` is installed. */
export function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

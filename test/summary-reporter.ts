import type { Reporter } from 'vitest/reporters';

type Task = { type: string; tasks?: Task[]; mode?: string; result?: { state?: string } };

/** Ends the run with a plain "Summary: N passed, N failed, N skipped" line that any CI can read. */
export default class SummaryReporter implements Reporter {
  onFinished(files: Task[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (task: Task): void => {
      if (task.type === 'test') {
        const state = task.result?.state;
        if (state === 'pass') counts.passed++;
        else if (state === 'fail') counts.failed++;
        else counts.skipped++;
      }
      task.tasks?.forEach(visit);
    };
    files.forEach(visit);
    process.stdout.write(`\nSummary: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}

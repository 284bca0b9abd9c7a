import type { Reporter } from 'vitest/reporters';

type Task = { type: string; tasks?: Task[]; mode?: string; result?: { state?: string } };

/**
 * Ends the run with a plain "Summary: N passed, N failed, N skipped" line that any CI can read. A test
 * file that fails to load (or a hook that fails) has no test to count: it counts as one failure, so the
 * line never reads clean while the run failed.
 */
export default class SummaryReporter implements Reporter {
  onFinished(files: Task[] = [], errors: unknown[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (task: Task): void => {
      if (task.type === 'test') {
        const state = task.result?.state;
        if (state === 'pass') counts.passed++;
        else if (state === 'fail') counts.failed++;
        else counts.skipped++;
        return;
      }
      const failedBefore = counts.failed;
      task.tasks?.forEach(visit);
      if (task.result?.state === 'fail' && counts.failed === failedBefore) counts.failed++; // failed with no failing test inside
    };
    files.forEach(visit);
    counts.failed += errors.length; // unhandled errors fail the run too
    process.stdout.write(`\nSummary: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}

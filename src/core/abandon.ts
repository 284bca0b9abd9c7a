/**
 * What must be undone if the process is stopped before the work finishes (Ctrl-C, SIGTERM): a held
 * lock released, temporary files removed. Whoever creates such a thing registers its undoing and
 * unregisters it once done; the CLI's signal handler runs what is left, then exits. Library code
 * never exits the process itself.
 */
const actions = new Set<() => void>();

/** Registers `undo`; the returned function unregisters it. */
export function undoIfAbandoned(undo: () => void): () => void {
  actions.add(undo);
  return () => actions.delete(undo);
}

/** Runs every registered undoing, newest first; each one's failure is ignored (best effort on the way out). */
export function abandonAll(): void {
  for (const undo of [...actions].reverse()) {
    try {
      undo();
    } catch {
      // the process is ending: nothing more to do about it
    }
  }
  actions.clear();
}

/** "1 file", "2 files": for messages from any room (the CLI's and the engine's). */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Hex digits that keep temporary names apart (across processes, threads, and a dead process that had
 * this pid): not secrets, so Math.random (seeded from the system's entropy in every isolate) rather
 * than node:crypto, whose loading alone costs ~4 ms of every command. Every name made with one is
 * created exclusively, so a clash could only fail, never overwrite.
 */
export function uniqueToken(hexDigits: number): string {
  let token = '';
  while (token.length < hexDigits)
    token += Math.floor(Math.random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return token.slice(0, hexDigits);
}

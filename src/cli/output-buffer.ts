/**
 * Output gathered into writes of about 64 KiB (a million lines are not a million writes, nor one
 * string): text, written as UTF-8, and bytes carried in a latin1 string (one char a byte: the lines
 * of a patch, whatever the encoding of the files).
 */
export class OutputBuffer {
  private pending: (string | Buffer)[] = [];
  private length = 0;

  write(text: string): void {
    this.pending.push(text);
    this.length += text.length;
    if (this.length >= 65_536) this.flush();
  }

  writeBytes(latin1: string): void {
    this.pending.push(Buffer.from(latin1, 'latin1'));
    this.length += latin1.length;
    if (this.length >= 65_536) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    // Text alone (the common case) is joined as a string; with bytes among it, written as one buffer.
    const text = this.pending.every((piece) => typeof piece === 'string');
    process.stdout.write(
      text ? this.pending.join('') : Buffer.concat(this.pending.map((piece) => (typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece))),
    );
    this.pending = [];
    this.length = 0;
  }
}

/** Resolves once stdout has handed the bytes to the OS: the caller may then reuse the buffer. */
export async function writeToStdout(bytes: Buffer): Promise<void> {
  await new Promise<void>((resolvePromise, reject) => process.stdout.write(bytes, (error) => (error ? reject(error) : resolvePromise())));
}

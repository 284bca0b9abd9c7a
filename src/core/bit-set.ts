/** A set of small non-negative integers, a bit each, grown as needed: a mark per file of a million costs 125 KB. */
export class BitSet {
  private words = new Uint32Array(64);

  add(value: number): void {
    const word = value >>> 5;
    if (word >= this.words.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.words.length * 2));
      grown.set(this.words);
      this.words = grown;
    }
    this.words[word]! |= 1 << (value & 31);
  }

  has(value: number): boolean {
    const word = value >>> 5;
    return word < this.words.length && (this.words[word]! & (1 << (value & 31))) !== 0;
  }
}

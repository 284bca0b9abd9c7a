import { HASH_BYTES } from './hash.js';

/** Of each id, the first 16 bytes are kept. */
const KEY_BYTES = 16;
const WORDS = KEY_BYTES / 4;

/**
 * A set of 32-byte ids (BLAKE3 digests) in one typed array, open addressing with linear probing:
 * 16-byte slots between 3/8 and 3/4 filled, so 21-43 bytes an id, where a Set of hex strings holds
 * a 64-character string and an entry of the Set for each.
 * Ids are digests, so their bytes are spread evenly: the first four pick the slot, and the first 16
 * tell ids apart. Two ids of a billion sharing those 128 bits has odds of about 10^-21 (the birthday
 * bound), far below a disk's undetected error rate. The all-zero key marks an empty slot and is kept aside.
 */
export class IdSet {
  private slots = new Uint32Array(1024 * WORDS);
  private mask = 1024 - 1;
  private hasZero = false;
  private filled = 0;
  private readonly probe = new Uint32Array(WORDS);
  private readonly probeBytes = new Uint8Array(this.probe.buffer);

  get size(): number {
    return this.filled + (this.hasZero ? 1 : 0);
  }

  /** Adds `id`; true when it was not there. */
  add(id: Uint8Array): boolean {
    if (this.loadProbe(id)) {
      const added = !this.hasZero;
      this.hasZero = true;
      return added;
    }
    const slot = this.find();
    if (slot >= 0) return false;
    this.slots.set(this.probe, (-1 - slot) * WORDS);
    if (++this.filled * 4 > (this.mask + 1) * 3) this.grow();
    return true;
  }

  has(id: Uint8Array): boolean {
    if (this.loadProbe(id)) return this.hasZero;
    return this.find() >= 0;
  }

  /** Copies `id`'s key into the probe (ids may lie anywhere in a buffer; the slots are word-aligned); true when the key is all zeros. */
  private loadProbe(id: Uint8Array): boolean {
    if (id.length !== HASH_BYTES) throw new Error(`internal: an id of ${id.length} bytes`);
    this.probeBytes.set(id.subarray(0, KEY_BYTES));
    for (let word = 0; word < WORDS; word++) if (this.probe[word] !== 0) return false;
    return true;
  }

  /** The probe's slot when present, or -1 - the empty slot where it would go. */
  private find(): number {
    const probe = this.probe;
    const slots = this.slots;
    for (let slot = probe[0]! & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * WORDS;
      if (this.isEmptySlot(slots, at)) return -1 - slot;
      let same = true;
      for (let word = 0; word < WORDS; word++) {
        if (slots[at + word] !== probe[word]) {
          same = false;
          break;
        }
      }
      if (same) return slot;
    }
  }

  private isEmptySlot(slots: Uint32Array, at: number): boolean {
    for (let word = 0; word < WORDS; word++) if (slots[at + word] !== 0) return false;
    return true;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = this.slots.length / WORDS - 1;
    for (let at = 0; at < old.length; at += WORDS) {
      if (this.isEmptySlot(old, at)) continue;
      this.probe.set(old.subarray(at, at + WORDS));
      this.slots.set(this.probe, (-1 - this.find()) * WORDS);
    }
  }
}

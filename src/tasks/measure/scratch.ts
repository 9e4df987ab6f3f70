/**
 * A buffer kept between calls of one image-sized step (the smoothed image of detection, the cosmic-ray marks), so
 * that each call does not pay a fresh image's page faults and garbage. It is held through a WeakRef: the garbage
 * collector may still take it between calls, and then the next call allocates again. A caller finds whatever the
 * previous caller left in it; one that needs zeros must leave it zeroed.
 */
export class ScratchBuffer<T extends Float32Array | Uint8Array> {
  private last: WeakRef<T> | null = null;

  constructor(private readonly allocate: (n: number) => T) {}

  /** The kept buffer if it is alive and holds n elements, else a new (zeroed) one that is kept instead. */
  get(n: number): T {
    const last = this.last?.deref();
    if (last !== undefined && last.length === n) return last;
    const fresh = this.allocate(n);
    this.last = new WeakRef(fresh);
    return fresh;
  }
}

/**
 * A kernel set's reusable workspace: the scratch memory of a call whose caller passed none (an im2col tile of a
 * convolution), kept between calls so that each call does not allocate, zero and first-touch it again (on a
 * 2-thread training step these page faults cost about as much as the convolution's arithmetic). Nothing reads a
 * workspace after its call returns unless the caller passed it, so calls may share one.
 * @module
 */

/** One growing buffer of `T` (Float32Array or Uint32Array). */
export class Scratch<T extends Float32Array | Uint32Array> {
  #buffer: T | undefined;
  readonly #make: (length: number) => T;

  /** `make(n)` allocates a zeroed array of n elements (e.g. `(n) => new Float32Array(n)`). */
  constructor(make: (length: number) => T) {
    this.#make = make;
  }

  /**
   * An array of at least `length` elements (at least 1), with whatever values the last call left in it.
   * @example
   * ```ts
   * import { Scratch } from "./_scratch.ts";
   * const s = new Scratch((n) => new Float32Array(n));
   * const a = s.get(100), b = s.get(10);
   * console.log(a === b, b.length); // true 100
   * ```
   */
  get(length: number): T {
    const n = Math.max(1, length);
    if (this.#buffer === undefined || this.#buffer.length < n) this.#buffer = this.#make(n);
    return this.#buffer;
  }
}

/**
 * larq's FlipRatio: the fraction of a binary weight tensor's signs that
 * changed since the previous update, averaged over updates (the first
 * update has nothing to compare with and contributes nothing).
 * @module
 */
import type { Tensor } from "../graph/tensor.ts";

/**
 * @example
 * ```ts
 * import { FlipRatio } from "./metrics.ts";
 * import { Tensor } from "../graph/tensor.ts";
 * const m = new FlipRatio();
 * for (const v of [[1, 1], [2, 2], [1, 2]]) { m.update(Tensor.from(v)); console.log(m.result()); } // 0, 1, 0.75
 * ```
 */
export class FlipRatio {
  #previous: Int8Array | null = null;
  #total = 0;
  #count = 0;

  /** Records the current values (cast to int8, as larq: compare what the quantizer would see). */
  update(values: Tensor): void {
    const current = Int8Array.from(values.data, (v) => Math.trunc(v));
    if (this.#previous !== null) {
      if (this.#previous.length !== current.length) {
        throw new RangeError(`FlipRatio: ${current.length} values, previously ${this.#previous.length}`);
      }
      let equal = 0;
      for (let i = 0; i < current.length; i++) if (current[i] === this.#previous[i]) equal++;
      this.#total += 1 - equal / current.length;
    }
    this.#previous = current;
    this.#count++;
  }

  /** Mean flip ratio over the updates after the first (0 before two updates). */
  result(): number {
    return this.#count > 1 ? this.#total / (this.#count - 1) : 0;
  }

  reset(): void {
    this.#previous = null;
    this.#total = 0;
    this.#count = 0;
  }
}

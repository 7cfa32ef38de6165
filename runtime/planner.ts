/**
 * Arena planning: tensors whose lifetimes do not overlap share memory.
 * Greedy by size (largest first, each at the lowest aligned offset that
 * clashes with no placed tensor alive at the same time), as TFLite's
 * arena planner does.
 * @module
 */

/** One tensor to place: its size and the first and last op (by execution index) that touch it. */
export interface Lifetime {
  bytes: number;
  first: number;
  last: number;
}

export interface ArenaPlan {
  /** Byte offset of each tensor, in the order given. */
  offsets: number[];
  /** Arena size in bytes. */
  size: number;
}

/** Offsets are multiples of this (cache line; covers every element type and SIMD loads). */
export const ARENA_ALIGNMENT = 64;

function alignUp(n: number): number {
  return Math.ceil(n / ARENA_ALIGNMENT) * ARENA_ALIGNMENT;
}

/**
 * Places tensors in one arena.
 *
 * @example
 * ```ts
 * import { planArena } from "./planner.ts";
 * // a: ops 0-1, b: ops 1-2, c: ops 2-3. a and c never meet, so they share.
 * const plan = planArena([{ bytes: 100, first: 0, last: 1 }, { bytes: 100, first: 1, last: 2 }, { bytes: 100, first: 2, last: 3 }]);
 * console.log(plan.size); // 256
 * ```
 */
export function planArena(tensors: readonly Lifetime[]): ArenaPlan {
  const order = tensors.map((_, i) => i).sort((a, b) => tensors[b].bytes - tensors[a].bytes || a - b);
  const offsets = new Array<number>(tensors.length).fill(0);
  const placed: number[] = [];
  let size = 0;
  for (const i of order) {
    const t = tensors[i];
    const clashes = placed
      .filter((j) => tensors[j].first <= t.last && t.first <= tensors[j].last && tensors[j].bytes > 0)
      .sort((a, b) => offsets[a] - offsets[b]);
    let at = 0;
    for (const j of clashes) {
      if (at + t.bytes <= offsets[j]) break;
      at = Math.max(at, alignUp(offsets[j] + tensors[j].bytes));
    }
    offsets[i] = at;
    placed.push(i);
    size = Math.max(size, alignUp(at + t.bytes));
  }
  return { offsets, size };
}

/**
 * Seeded randomness for initializers, dropout, shuffling and augmentation:
 * runs repeat from a seed.
 * @module
 */

/**
 * Shuffles `order` in place (Fisher–Yates from the last element: j = floor(random()·(i + 1))) and returns it: fit's
 * sample order each epoch, recalibrateBatchNorm's, the Fashion-MNIST split's.
 */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(order: T, random: () => number): T {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** A seeded uniform [0, 1) generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

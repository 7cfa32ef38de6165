/**
 * The one median of the bench scripts (bench, compare, limit, memory, fashion): of a non-empty list, the mean of
 * the middle two for an even count.
 * @module
 */

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Small numeric helpers for the benchmark's output: medians and fixed-width numbers. */

/** The median of `values` (NaN for none). */
export function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `n` with `digits` decimals, right-aligned in 8 characters. */
export const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(8);

/** `n` per `of`, with 3 decimals (0 when `of` is 0). */
export const per = (n: number, of: number) => (of > 0 ? n / of : 0);

/** The q-quantile (0..1) of ascending `sorted` values (nearest rank). */
export const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

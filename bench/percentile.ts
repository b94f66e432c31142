// One percentile for every bench: nearest rank (the smallest value with at least p % of the
// samples at or below it), so p99 of 100 samples is the second slowest, not the slowest.
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

// GPU-equivalent arithmetic: sums of sevenths never compare exactly, so every comparison has a margin.

export const EPSILON = 1e-9;

/** a ≤ b, allowing for float error (3 × 1/7 ≤ 3/7). */
export function lessOrEqual(a: number, b: number): boolean {
  return a <= b + EPSILON;
}

/** a ≥ b, allowing for float error. */
export function atLeast(a: number, b: number): boolean {
  return a + EPSILON >= b;
}

/** Sum without drift from repeated addition order: rounds to 1e-9. */
export function sumWeights(weights: readonly number[]): number {
  const s = weights.reduce((a, b) => a + b, 0);
  return Math.round(s * 1e9) / 1e9;
}

/** "2.0", "0.429", "1.5": one decimal for whole and half numbers, up to three otherwise. */
export function formatEq(n: number): string {
  const r = Math.round(n * 1000) / 1000;
  return Number.isInteger(r) ? r.toFixed(1) : String(r);
}

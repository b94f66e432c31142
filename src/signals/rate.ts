// Averages over the interval since the previous sample of a cumulative counter (pure).
import type { CounterSample } from "../model/record.js";

/**
 * Counter increase per second between two samples, or null (unknown) when there is no previous
 * sample, the interval is empty, the counter went backwards, or the container (re)started after
 * the previous sample was taken (its counters started again from zero).
 */
export function perSecond(prev: CounterSample | null, cur: CounterSample | null, startedAt: number | null): number | null {
  if (!prev || !cur) return null;
  if (!(cur.at > prev.at)) return null;
  if (startedAt !== null && startedAt > prev.at) return null;
  if (cur.value < prev.value) return null;
  return (cur.value - prev.value) / ((cur.at - prev.at) / 1000);
}

/** CPU time in nanoseconds per second of wall time, as percent of one core. */
export function cpuPercent(prev: CounterSample | null, cur: CounterSample | null, startedAt: number | null): number | null {
  const nsPerS = perSecond(prev, cur, startedAt);
  return nsPerS === null ? null : nsPerS / 1e7;
}

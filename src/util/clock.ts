/** The one source of "now" (docs/architecture.md); tests pass their own. */
export interface Clock {
  now(): number; // epoch milliseconds
}

export const systemClock: Clock = { now: () => Date.now() };

export function fixedClock(at: number): Clock & { set(t: number): void; advance(ms: number): void } {
  let t = at;
  return {
    now: () => t,
    set: (v) => void (t = v),
    advance: (ms) => void (t += ms),
  };
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

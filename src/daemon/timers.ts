// Timers the scheduler and retry loops use, injectable so unit tests move time by hand.
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

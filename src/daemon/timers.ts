// Timers the scheduler and retry loops use, injectable so unit tests move time by hand.
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** setTimeout's limit: a longer delay fires after 1 ms (with a TimeoutOverflowWarning). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A long delay runs as legs of at most MAX_TIMEOUT_MS; `current` is the leg now pending. */
interface Handle {
  current: NodeJS.Timeout;
}

function arm(handle: Handle, fn: () => void, ms: number): void {
  const leg = Math.min(Math.max(0, ms), MAX_TIMEOUT_MS);
  handle.current = setTimeout(() => (ms > MAX_TIMEOUT_MS ? arm(handle, fn, ms - MAX_TIMEOUT_MS) : fn()), leg);
}

export const realTimers: Timers = {
  set: (fn, ms) => {
    const handle = {} as Handle;
    arm(handle, fn, Number.isFinite(ms) ? ms : MAX_TIMEOUT_MS);
    return handle;
  },
  clear: (h) => clearTimeout((h as Handle).current),
};

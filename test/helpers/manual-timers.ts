// Timers driven by hand, for tests of code that waits (the scheduler, the GPU queue).
import type { Timers } from "../../src/daemon/timers.js";
import type { fixedClock } from "../../src/util/clock.js";

/** Timers driven by hand: advance() fires what falls due, in order. */
export function manualTimers(clock: ReturnType<typeof fixedClock>) {
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    set(fn, ms) {
      const id = ++seq;
      pending.set(id, { at: clock.now() + ms, fn });
      return id;
    },
    clear(h) {
      pending.delete(h as number);
    },
  };
  return {
    timers,
    pending: () => pending.size,
    async advance(ms: number) {
      const end = clock.now() + ms;
      for (;;) {
        const next = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > end) break;
        pending.delete(next[0]);
        clock.set(Math.max(clock.now(), next[1].at));
        next[1].fn();
        await flush();
      }
      clock.set(end);
      await flush();
    },
  };
}

export const flush = () => new Promise<void>((r) => setImmediate(r));

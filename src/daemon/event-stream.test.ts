import { describe, expect, it } from "vitest";
import type { ContainerEvent } from "../model/ports.js";
import { silentLogger } from "../util/log.js";
import { EventStream } from "./event-stream.js";
import type { Timers } from "./timers.js";

const flush = () => new Promise<void>((r) => setImmediate(r));

/** Timers that fire only when the test says so, recording the delays asked for. */
function heldTimers() {
  const pending: { fn: () => void; ms: number; live: boolean }[] = [];
  const timers: Timers = {
    set(fn, ms) {
      const t = { fn, ms, live: true };
      pending.push(t);
      return t;
    },
    clear(h) {
      (h as { live: boolean }).live = false;
    },
  };
  return {
    timers,
    /** Fires every live timer asking for `ms`. */
    async fire(ms: number) {
      for (const t of pending.filter((x) => x.live && x.ms === ms)) {
        t.live = false;
        t.fn();
      }
      await flush();
    },
    asked: () => pending.map((t) => t.ms),
  };
}

describe("EventStream (against a stand-in of our ContainerRuntime port)", () => {
  it("reconnects with backoff 1 s, 2 s, 4 s ... and starts over once a stream has stayed up", async () => {
    const t = heldTimers();
    const log: string[] = [];
    let attempt = 0;
    let emit: ((e: ContainerEvent) => void) | null = null;
    let endStream: ((err: Error) => void) | null = null;
    const stream = new EventStream({
      runtime: () => ({
        events: (onEvent, signal) => {
          attempt++;
          if (attempt <= 3) return Promise.reject(new Error(`refused ${attempt}`));
          emit = onEvent;
          return new Promise<void>((resolve, reject) => {
            endStream = reject;
            signal.addEventListener("abort", () => resolve());
          });
        },
      }),
      onEvent: (e) => log.push(`event ${e.action}`),
      onUp: () => log.push("up"),
      onDown: (err) => log.push(`down: ${err}`),
      timers: t.timers,
      log: silentLogger,
      settleMs: 500,
    });
    stream.start();
    await flush();
    await t.fire(1000);
    await t.fire(2000);
    await t.fire(4000); // 4th attempt connects
    expect(log).toEqual(["down: refused 1", "down: refused 2", "down: refused 3"]);
    emit!({ action: "die", id: "x", name: "x", labels: {}, time: 0 });
    expect(log.slice(3)).toEqual(["up", "event die"]);
    endStream!(new Error("event stream ended"));
    await flush();
    expect(log.at(-1)).toBe("down: event stream ended");
    // The backoff started over after the stream was up: the next wait is 1 s again.
    expect(t.asked().at(-1)).toBe(1000);
    await stream.stop();
  });

  it("stop() ends a wait between attempts at once", async () => {
    const t = heldTimers();
    const stream = new EventStream({
      runtime: () => ({ events: () => Promise.reject(new Error("refused")) }),
      onEvent: () => {},
      onUp: () => {},
      onDown: () => {},
      timers: t.timers,
      log: silentLogger,
    });
    stream.start();
    await flush();
    await stream.stop(); // would hang if the 1 s wait were not woken
    expect(t.asked()).toContain(1000);
  });

  it("upWithin resolves when the stream is up (its timer cleared), or when the time is over", async () => {
    const t = heldTimers();
    const stream = new EventStream({
      runtime: () => ({ events: (_onEvent, signal) => new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve())) }),
      onEvent: () => {},
      onUp: () => {},
      onDown: () => {},
      timers: t.timers,
      log: silentLogger,
      settleMs: 500,
    });
    let early = false;
    void stream.upWithin(3000).then(() => (early = true));
    stream.start();
    await flush();
    expect(early).toBe(false);
    await t.fire(500); // stayed open for settleMs: up
    expect(early).toBe(true);
    let late = false;
    void stream.upWithin(3000).then(() => (late = true));
    await flush();
    expect(late).toBe(false); // it waits for the stream to come up (again), or for the time
    await t.fire(3000);
    expect(late).toBe(true);
    await stream.stop();
  });
});

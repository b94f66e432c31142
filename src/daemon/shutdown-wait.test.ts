import { describe, expect, it } from "vitest";
import { fixedClock } from "../util/clock.js";
import type { Intent } from "../actions/intents.js";
import type { Logger } from "../util/log.js";
import { abandonInFlight, waitForInFlight } from "./shutdown-wait.js";
import type { Timers } from "./timers.js";

const T0 = 1_000_000;
const flush = () => new Promise<void>((r) => setImmediate(r));

/** Timers that fire when the test moves the clock (one pending timer at a time is all the wait sets). */
function handTimers(clock: ReturnType<typeof fixedClock>) {
  const pending = new Map<number, { at: number; fn: () => void }>();
  let seq = 0;
  const timers: Timers = { set: (fn, ms) => (pending.set(++seq, { at: clock.now() + ms, fn }), seq), clear: (h) => void pending.delete(h as number) };
  return {
    timers,
    async to(t: number) {
      for (;;) {
        await flush();
        const next = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > t) break;
        pending.delete(next[0]);
        clock.set(next[1].at);
        next[1].fn();
      }
      clock.set(t);
      await flush();
    },
  };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("waitForInFlight", () => {
  it("waits past the minimum for an action whose deadline is later, and returns when the job ends", async () => {
    const clock = fixedClock(T0);
    const t = handTimers(clock);
    const job = deferred();
    let out: { abandoned: boolean } | null = null;
    void waitForInFlight(job.promise, { clock, timers: t.timers, minWaitMs: 5_000, deadlines: () => [T0 + 75_000] }).then((r) => (out = r));
    await t.to(T0 + 40_000);
    expect(out).toBeNull();
    job.resolve();
    await t.to(T0 + 40_001);
    expect(out).toMatchObject({ abandoned: false });
  });

  it("gives up at the latest deadline, re-read as it goes (an action that started after the wait began counts)", async () => {
    const clock = fixedClock(T0);
    const t = handTimers(clock);
    const deadlines: number[] = [];
    let out: { abandoned: boolean; waitedMs: number } | null = null;
    void waitForInFlight(new Promise<void>(() => undefined), { clock, timers: t.timers, minWaitMs: 5_000, deadlines: () => deadlines }).then((r) => (out = r));
    await t.to(T0 + 2_000);
    deadlines.push(T0 + 20_000);
    await t.to(T0 + 19_000);
    expect(out).toBeNull();
    await t.to(T0 + 21_000);
    expect(out).toEqual({ abandoned: true, waitedMs: 20_000 });
  });

  it("with nothing in flight, gives up after the minimum wait", async () => {
    const clock = fixedClock(T0);
    const t = handTimers(clock);
    let out: { abandoned: boolean } | null = null;
    void waitForInFlight(new Promise<void>(() => undefined), { clock, timers: t.timers, minWaitMs: 5_000, deadlines: () => [] }).then((r) => (out = r));
    await t.to(T0 + 4_999);
    expect(out).toBeNull();
    await t.to(T0 + 5_000);
    expect(out).toMatchObject({ abandoned: true });
  });

  it("after the last action in flight ends, the rest of the job gets the minimum wait again", async () => {
    const clock = fixedClock(T0);
    const t = handTimers(clock);
    const deadlines = [T0 + 75_000];
    let out: { abandoned: boolean; waitedMs: number } | null = null;
    void waitForInFlight(new Promise<void>(() => undefined), { clock, timers: t.timers, minWaitMs: 5_000, deadlines: () => deadlines }).then((r) => (out = r));
    await t.to(T0 + 8_000);
    deadlines.pop(); // the stop ended at ~8 s; its removal and the pass's last audits still run
    await t.to(T0 + 13_500); // seen at the next look (9 s): 5 s more from there
    expect(out).toBeNull();
    await t.to(T0 + 14_000);
    expect(out).toEqual({ abandoned: true, waitedMs: 14_000 });
  });
});

describe("abandonInFlight", () => {
  const intent = (id: number, action: Intent["action"]): Intent => ({ id, kind: "stop", containerId: "c1", pid: null, action, facts: {}, startedAt: T0, deadlineAt: T0 + 70_000, ownerPid: 1, abandonedAt: null });
  function logger() {
    const lines: { msg: string; fields: Record<string, unknown> }[] = [];
    const log: Logger = { debug: () => {}, info: () => {}, warn: (fields, msg) => void lines.push({ msg, fields }), error: (fields, msg) => void lines.push({ msg, fields }) };
    return { log, lines };
  }

  it("records what is still in flight as abandoned, with why and when, and says how many", () => {
    const { log, lines } = logger();
    const calls: [number[], number, string][] = [];
    const open = [intent(1, null), intent(2, null)];
    const n = abandonInFlight({ inFlight: () => open, abandon: (i, at, why) => void calls.push([i.map((x) => x.id), at, why]) }, { log, clock: fixedClock(T0 + 9_000), reason: "SIGTERM", job: "pass", waitedMs: 9_000 });
    expect(n).toBe(2);
    expect(calls).toEqual([[[1, 2], T0 + 9_000, "daemon stopping (SIGTERM) gave up after 9000 ms"]]);
    expect(lines).toEqual([{ msg: "abandoning job in flight", fields: { job: "pass", waited_ms: 9_000, actions: [{ kind: "stop", container: null, pid: null }, { kind: "stop", container: null, pid: null }] } }]);
  });

  it("a store that cannot record them is logged, and shutdown goes on", () => {
    const { log, lines } = logger();
    const n = abandonInFlight({ inFlight: () => [intent(1, null)], abandon: () => { throw new Error("database is locked"); } }, { log, clock: fixedClock(T0), reason: "SIGINT", job: "pass", waitedMs: 5_000 });
    expect(n).toBe(1);
    expect(lines.map((l) => l.msg)).toEqual(["abandoning job in flight", "could not record the abandoned actions"]);
  });
});

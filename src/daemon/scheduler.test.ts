import { describe, expect, it } from "vitest";
import { fixedClock } from "../util/clock.js";
import { silentLogger } from "../util/log.js";
import { Scheduler, type PassOutcome } from "./scheduler.js";
import { flush, manualTimers } from "../../test/helpers/manual-timers.js";



function setup(opts: { sampleMs?: number; passMs?: number } = {}) {
  const clock = fixedClock(1_000_000);
  const t = manualTimers(clock);
  const log: string[] = [];
  let release: (() => void) | null = null;
  let hold = false;
  let outcome: PassOutcome = { retryInMs: null };
  const s = new Scheduler({
    clock,
    timers: t.timers,
    sampleIntervalMs: opts.sampleMs ?? 1000,
    passIntervalMs: opts.passMs ?? 5000,
    log: silentLogger,
    async runSample() {
      log.push(`sample@${clock.now() - 1_000_000}`);
    },
    async runPass(why) {
      log.push(`pass(${why})@${clock.now() - 1_000_000}`);
      if (hold) await new Promise<void>((r) => (release = r));
      return outcome;
    },
  });
  return {
    s,
    t,
    log,
    holdPasses: (v: boolean) => void (hold = v),
    finishPass: () => release?.(),
    setOutcome: (o: PassOutcome) => void (outcome = o),
  };
}

describe("Scheduler", () => {
  it("runs a pass at start, samples every sample interval and passes every pass interval", async () => {
    const { s, t, log } = setup();
    s.start();
    await flush();
    await t.advance(5000);
    expect(log).toEqual(["pass(startup)@0", "sample@1000", "sample@2000", "sample@3000", "sample@4000", "pass(schedule)@5000", "sample@5000"]);
    await s.stop();
    expect(t.pending()).toBe(0);
  });

  it("never overlaps: a sample due during a long pass runs after it, once", async () => {
    const { s, t, log, holdPasses, finishPass } = setup();
    holdPasses(true);
    s.start();
    await flush();
    await t.advance(3500);
    expect(log).toEqual(["pass(startup)@0"]);
    expect(s.running).toBe("pass");
    finishPass();
    await flush();
    await flush();
    expect(log).toEqual(["pass(startup)@0", "sample@3500"]);
    await s.stop();
  });

  it("queues a pass requested while one runs exactly once, and collapses requests", async () => {
    const { s, t, log, holdPasses, finishPass } = setup();
    holdPasses(true);
    s.start();
    await flush();
    s.requestPass("docker event", 0);
    s.requestPass("docker event", 0);
    s.requestPass("another", 100);
    holdPasses(false);
    finishPass();
    await flush();
    await flush();
    await t.advance(10);
    expect(log.filter((l) => l.startsWith("pass"))).toEqual(["pass(startup)@0", "pass(docker event)@0"]);
    await t.advance(900);
    expect(log.filter((l) => l.startsWith("pass"))).toHaveLength(2);
    await s.stop();
  });

  it("debounces: a pass requested 2 s ahead runs then, sooner requests win", async () => {
    const { s, t, log } = setup({ sampleMs: 100_000 });
    s.start();
    await flush();
    s.requestPass("exit", 2000);
    await t.advance(1000);
    s.requestPass("exit", 2000); // due at 3000: later than the pending 2000, ignored
    await t.advance(1500);
    expect(log).toEqual(["pass(startup)@0", "pass(exit)@2000"]);
    await s.stop();
  });

  it("retries a failed pass with the outcome's backoff instead of a full interval", async () => {
    const { s, t, log, setOutcome } = setup({ sampleMs: 100_000, passMs: 300_000 });
    setOutcome({ retryInMs: 1000 });
    s.start();
    await flush();
    setOutcome({ retryInMs: null });
    await t.advance(10_000);
    expect(log).toEqual(["pass(startup)@0", "pass(retry)@1000"]);
    await s.stop();
  });

  it("stop() takes no new work and waits for the job in flight", async () => {
    const { s, t, log, holdPasses, finishPass } = setup();
    holdPasses(true);
    s.start();
    await flush();
    let stopped = false;
    void s.stop().then(() => (stopped = true));
    s.requestPass("late");
    await flush();
    expect(stopped).toBe(false);
    finishPass();
    await flush();
    await flush();
    expect(stopped).toBe(true);
    await t.advance(20_000);
    expect(log).toEqual(["pass(startup)@0"]);
  });

  it("applies shorter intervals at once", async () => {
    const { s, t, log } = setup({ sampleMs: 60_000, passMs: 300_000 });
    s.start();
    await flush();
    s.setIntervals(1000, 2000);
    await t.advance(2000);
    expect(log).toEqual(["pass(startup)@0", "sample@1000", "pass(schedule)@2000", "sample@2000"]);
    await s.stop();
  });
});

// How long shutdown waits for the job in flight: at least `minWaitMs`, as long as the latest
// deadline of a destructive action in flight (re-read as it goes: a stop may start just as
// shutdown begins), and `minWaitMs` more after the last such action was seen, for the job's steps
// after it. Resolves as soon as the job finishes. When it gives up, the actions still in flight
// are recorded as abandoned (the next start reconciles them).
import type { IntentLog } from "../actions/intents.js";
import { errorText } from "../errors.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { Timers } from "./timers.js";

export interface ShutdownWaitOptions {
  clock: Clock;
  timers: Timers;
  minWaitMs: number;
  /** Deadlines (epoch ms) of the actions in flight now. */
  deadlines(): number[];
  /** How often the deadlines are looked at again. */
  recheckMs?: number;
}

export async function waitForInFlight(job: Promise<void>, o: ShutdownWaitOptions): Promise<{ abandoned: boolean; waitedMs: number }> {
  const t0 = o.clock.now();
  let done = false;
  void job.then(() => (done = true), () => (done = true));
  // When an action in flight was last seen to end: the job's quick steps after it (the removal
  // after a stop, the audit of a release) get the minimum wait again from there.
  // An action stuck past its deadline does not extend anything.
  let busyAt = t0;
  let before = 0;
  for (;;) {
    if (done) return { abandoned: false, waitedMs: o.clock.now() - t0 };
    const deadlines = o.deadlines();
    if (deadlines.length < before) busyAt = o.clock.now();
    before = deadlines.length;
    const until = Math.max(busyAt + o.minWaitMs, ...deadlines);
    const left = until - o.clock.now();
    if (left <= 0) return { abandoned: true, waitedMs: o.clock.now() - t0 };
    let timer: unknown = null;
    await Promise.race([
      job.then(() => undefined, () => undefined),
      new Promise<void>((r) => (timer = o.timers.set(r, Math.min(left, o.recheckMs ?? 1_000)))),
    ]);
    o.timers.clear(timer);
  }
}

/** Records the actions still in flight as abandoned (a store that fails is logged); returns how many. */
export function abandonInFlight(intents: Pick<IntentLog, "inFlight" | "abandon">, o: { log: Logger; clock: Clock; reason: string; job: string | null; waitedMs: number }): number {
  const open = intents.inFlight();
  o.log.warn({ job: o.job, waited_ms: o.waitedMs, actions: open.map((i) => ({ kind: i.kind, container: i.action?.container ?? null, pid: i.pid })) }, "abandoning job in flight");
  try {
    intents.abandon(open, o.clock.now(), `daemon stopping (${o.reason}) gave up after ${o.waitedMs} ms`);
  } catch (e) {
    o.log.error({ error: errorText(e) }, "could not record the abandoned actions");
  }
  return open.length;
}

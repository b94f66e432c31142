// Carries out a plan. Actions on one container (or one GPU's health group) run one after another,
// in plan order; different containers run side by side, at most ACTION_CONCURRENCY at once, so
// stops that each wait out a long grace do not add up. A failure is recorded and skips only the
// rest of its group (e.g. no remove after a failed stop); it never stops the other groups. Every
// step is audited; every stop, remove and kill has an intent record before it starts (intents.ts).
import { EVENT } from "../constants/event-types.js";
import { mapLimit } from "../docker/map-limit.js";
import { errorText } from "../errors.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { Notice } from "../model/notice.js";
import type { ContainerRuntime, EventStore, GpuProbe, HostProcesses, Notifier, RecordStore } from "../model/ports.js";
import { gpuOf, pidOf } from "../policy/action-target.js";
import type { AlertAction, Plan, PlannedAction, StopAction, WarningAction } from "../policy/plan-types.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { auditOf, eventTypeFor } from "./action-events.js";
import { guardKill, guardRemove, guardStop, type GuardConfig } from "./guards.js";
import type { DestructiveAction, Intent, IntentLog } from "./intents.js";
import { PidReusedError, endProcess, type ExpectedProcess, type KillOptions } from "./kill-process.js";
import { UNDELIVERED_ATTEMPTS, countUndelivered, givenUp } from "./undelivered.js";

/** Containers acted on at once within a pass. */
export const ACTION_CONCURRENCY = 8;

/** Beyond its grace, how long a stop or remove may take before it counts as stuck (the engine's deadline plus slack). */
export const ENGINE_SLACK_MS = 15_000;

export interface ExecutorDeps {
  runtime: ContainerRuntime;
  host: HostProcesses;
  gpu: GpuProbe;
  notifier: Notifier | null;
  store: EventStore & RecordStore;
  clock: Clock;
  log: Logger;
  guard: GuardConfig;
  kill: KillOptions;
  /** StartedAt of each running container as planned (so a stop never hits a newer run). */
  startedAt: ReadonlyMap<string, number | null>;
  /** Where intents of destructive actions are written; null: none (a store without the table). */
  intents?: IntentLog | null;
  /** Aborted when ds01 is shutting down: nothing new starts; what runs is finished. */
  stopping?: AbortSignal;
  /** Containers acted on at once (default ACTION_CONCURRENCY). */
  concurrency?: number;
  /** Counters for metrics; optional. */
  onResult?: (r: ActionResult) => void;
  onDelivery?: (channel: string, ok: boolean) => void;
}

export interface ActionResult {
  action: PlannedAction;
  executed: boolean;
  error: string | null;
}

export class ActionRefused extends Error {
  override readonly name = "ActionRefused";
}

/** A failure whose audit events were already committed (with its intent's outcome). */
class AuditedFailure extends Error {
  override readonly name = "AuditedFailure";
}

/** Persists the plan's bookkeeping (streaks, samples) before anything is done. */
export function commitPlanRecords(plan: Plan, store: RecordStore): void {
  store.commit(plan.records, []);
  for (const id of plan.forget) store.delete(id);
}

/** Kinds that never start once ds01 is stopping, even in a lane already under way. */
const NOT_WHILE_STOPPING = new Set<PlannedAction["kind"]>(["warn", "final_warn", "notice", "stop", "kill_process", "reset_gpu"]);

export async function executePlan(plan: Plan, deps: ExecutorDeps): Promise<ActionResult[]> {
  const results = new Array<ActionResult>(plan.actions.length);
  const lanes = new Map<string, number[]>();
  plan.actions.forEach((a, i) => {
    const key = a.containerId ?? a.group;
    const lane = lanes.get(key);
    if (lane) lane.push(i);
    else lanes.set(key, [i]);
  });
  await mapLimit([...lanes.values()], deps.concurrency ?? ACTION_CONCURRENCY, async (lane) => {
    const failedGroups = new Set<string>();
    let started = false;
    for (const i of lane) {
      const a = plan.actions[i]!;
      let r: ActionResult;
      if (failedGroups.has(a.group)) {
        r = { action: a, executed: false, error: "skipped: an earlier step for this container failed" };
      } else if (deps.stopping?.aborted && (!started || NOT_WHILE_STOPPING.has(a.kind))) {
        r = { action: a, executed: false, error: "skipped: ds01 is stopping" };
      } else {
        started = true;
        try {
          await executeOne(a, deps);
          r = { action: a, executed: true, error: null };
        } catch (e) {
          failedGroups.add(a.group);
          r = { action: a, executed: false, error: errorText(e) };
          deps.log.warn({ kind: a.kind, reason: a.reason, container: a.container, pid: pidOf(a) ?? undefined, gpu: gpuOf(a) ?? undefined, error: r.error }, "action failed");
          if (!(e instanceof AuditedFailure)) deps.store.append(auditOf(a, deps.clock.now(), EVENT.actionFailed, { error: r.error, kind: a.kind }));
        }
      }
      deps.onResult?.(r);
      results[i] = r;
    }
  });
  return results;
}

/**
 * Runs a destructive action between its intent and its outcome. `run` returns the extra details of
 * the success event; on failure `failEvents` adds events of its own beside `action.failed`.
 */
async function withIntent(
  a: DestructiveAction,
  deps: ExecutorDeps,
  deadlineMs: number,
  facts: Record<string, unknown>,
  run: () => Promise<Record<string, unknown>>,
  failEvents: (e: unknown) => AuditEvent[] = () => [],
): Promise<void> {
  const log = deps.intents ?? null;
  const t0 = deps.clock.now();
  const intent: Intent | null = log ? log.open(a, t0, t0 + deadlineMs, facts) : null;
  deps.log.info({ kind: a.kind, reason: a.reason, container: a.container, pid: pidOf(a) ?? undefined, deadline_ms: deadlineMs }, "action started");
  let extra: Record<string, unknown>;
  try {
    extra = await run();
  } catch (e) {
    if (e instanceof ActionRefused && !intent) throw e;
    const events = [...failEvents(e), auditOf(a, deps.clock.now(), EVENT.actionFailed, { error: errorText(e), kind: a.kind })];
    if (!intent) {
      for (const ev of events.slice(0, -1)) deps.store.append(ev);
      throw e;
    }
    if (!log!.close(intent, "failed", events, deps.clock.now())) throw new AuditedFailure(`${errorText(e)} (after ds01 stopped waiting; reconciled at the next start)`);
    throw new AuditedFailure(errorText(e));
  }
  const ev = auditOf(a, deps.clock.now(), eventTypeFor(a), extra);
  if (!intent) return deps.store.append(ev);
  if (!log!.close(intent, "done", [ev], deps.clock.now())) {
    throw new AuditedFailure("finished after ds01 stopped waiting for it: not recorded now, reconciled at the next start");
  }
}

/** The actions that tell someone something before (or instead of) acting. */
type Told = WarningAction | StopAction | AlertAction;

function noticeOf(a: Told): Notice {
  return {
    audience: a.kind === "alert" ? "admin" : "user",
    user: a.user,
    containerId: a.containerId,
    containerName: a.container,
    severity: a.notice.severity,
    title: a.notice.title,
    body: a.notice.body,
    facts: a.details,
  };
}

/** Delivers a notice; audits every failed channel. Says how many channels got it, and whether ds01 ran a command inside the container. */
async function deliver(a: Told, deps: ExecutorDeps): Promise<{ delivered: number; execInContainer: boolean }> {
  if (!deps.notifier) return { delivered: 0, execInContainer: false };
  const results = await deps.notifier.notify(noticeOf(a));
  for (const d of results) {
    deps.onDelivery?.(d.channel, d.ok);
    if (!d.ok) deps.store.append(auditOf(a, deps.clock.now(), EVENT.notifyFailed, { channel: d.channel, target: d.target, error: d.error }));
  }
  // Written through the archive endpoint nothing ran in the container; an exec did (its CPU is ds01's).
  return { delivered: results.filter((d) => d.ok).length, execInContainer: results.some((d) => d.channel === "container_file" && d.via === "exec") };
}

/** Tells the admins that an owner could not be warned on any channel (best effort, failures audited). */
async function alertUndeliverable(a: WarningAction, deps: ExecutorDeps, attempts: number): Promise<void> {
  if (!deps.notifier) return;
  const results = await deps.notifier.notify({
    audience: "admin", user: a.user, containerId: a.containerId, containerName: a.container, severity: "alert",
    title: `Owner could not be warned: ${a.container}`,
    body: `ds01 could not deliver "${a.notice.title}" to ${a.user} on any channel (terminal, in-container file, webhook, e-mail) at ${attempts} checks. It now counts as given: the container will be stopped on the usual schedule.`,
    facts: { ...a.details, attempts },
  });
  for (const d of results) {
    deps.onDelivery?.(d.channel, d.ok);
    if (!d.ok) deps.store.append(auditOf(a, deps.clock.now(), EVENT.notifyFailed, { channel: d.channel, target: d.target, error: d.error, audience: "admin" }));
  }
}

async function executeOne(a: PlannedAction, deps: ExecutorDeps): Promise<void> {
  const now = () => deps.clock.now();
  switch (a.kind) {
    case "warn":
    case "final_warn":
    case "notice": {
      // Deliver first, then record the flag with its audit event in one transaction: a crash in
      // between can at worst repeat a warning, never count one that nobody received.
      const { delivered, execInContainer } = await deliver(a, deps);
      const rec = deps.store.get(a.containerId);
      // Wall-clock, like the counter samples it is compared with (src/signals).
      const selfExec = execInContainer ? { selfExecAt: Date.now() } : {};
      if (delivered === 0) {
        // Tried again at the next check; after UNDELIVERED_ATTEMPTS checks it counts as given (undelivered.ts).
        const tally = rec ? countUndelivered(rec, a, now()) : null;
        if (!rec || !tally || !givenUp(tally)) {
          if (rec && tally) deps.store.put({ ...rec, ...selfExec, undelivered: tally });
          throw new ActionRefused(`notice not delivered on any channel (attempt ${tally?.attempts ?? 1} of ${UNDELIVERED_ATTEMPTS}); will retry next check`);
        }
        await alertUndeliverable(a, deps, tally.attempts);
        const given = { delivered: 0, undeliverable: true, attempts: tally.attempts, first_attempt_at: tally.firstAt };
        deps.store.commit([{ ...rec, ...a.marks, ...selfExec, undelivered: null }], [auditOf(a, now(), eventTypeFor(a), given)]);
        return;
      }
      deps.store.commit(rec ? [{ ...rec, ...a.marks, ...selfExec, undelivered: null }] : [], [auditOf(a, now(), eventTypeFor(a), { delivered })]);
      return;
    }
    case "stop": {
      const id = a.containerId;
      const plannedStart = deps.startedAt.get(id) ?? null;
      const why = await guardStop(deps.runtime, id, plannedStart, deps.guard);
      if (why) throw new ActionRefused(why);
      const { delivered } = await deliver(a, deps); // before the stop, so the in-container file still works
      await withIntent(a, deps, a.graceS * 1000 + ENGINE_SLACK_MS, { started_at: plannedStart }, async () => {
        await deps.runtime.stop(id, a.graceS);
        return { grace_s: a.graceS, notice_delivered: delivered };
      });
      return;
    }
    case "remove": {
      const id = a.containerId;
      const why = await guardRemove(deps.runtime, id, deps.guard);
      if (why) throw new ActionRefused(why);
      await withIntent(a, deps, ENGINE_SLACK_MS, {}, async () => {
        await deps.runtime.remove(id);
        return {};
      });
      return;
    }
    case "release_gpu":
      // Allocation is derived from Docker (labels/DeviceRequests): once the container is gone the slot is free.
      deps.store.append(auditOf(a, now(), eventTypeFor(a)));
      return;
    case "kill_process": {
      const pid = a.pid;
      const why = await guardKill(deps.runtime, deps.host, pid);
      if (why) throw new ActionRefused(why);
      const expected = expectedProcess(a.details);
      if (!expected) throw new ActionRefused(`PID ${pid}: its start time was not read when it was attributed, so a reused PID could not be told apart`);
      const k = deps.kill;
      await withIntent(
        a, deps, k.termWaitMs + k.killWaitMs + ENGINE_SLACK_MS, { expected },
        async () => {
          try {
            return { ended_by: await endProcess(deps.host, pid, expected, k) };
          } catch (e) {
            if (e instanceof PidReusedError) throw new ActionRefused(e.message);
            throw e;
          }
        },
        (e) => (e instanceof ActionRefused ? [] : [auditOf(a, now(), EVENT.gpuOrphanKillFailed, { error: errorText(e) })]),
      );
      return;
    }
    case "reset_gpu": {
      const uuid = a.gpuUuid;
      const inv = await deps.gpu.inventory();
      const g = inv.gpus.find((x) => x.uuid === uuid);
      if (inv.error || !g) throw new ActionRefused(`cannot re-check GPU ${uuid} before reset: ${inv.error ?? "not found"}`);
      if (g.migEnabled !== false) throw new ActionRefused("MIG-enabled GPU is never reset");
      if (g.processes.length) throw new ActionRefused(`processes remain on the GPU: ${g.processes.map((p) => p.pid).join(", ")}`);
      const holders = (await deps.runtime.list()).filter((c) => c.state === "running" && (c.deviceRequestGpuIds.includes(uuid) || Object.values(c.labels).some((v) => v.includes(uuid))));
      if (holders.length) throw new ActionRefused(`GPU is held by running container ${holders[0]!.name}`);
      try {
        await deps.gpu.reset(uuid);
        deps.store.append(auditOf(a, now(), eventTypeFor(a)));
      } catch (e) {
        deps.store.append(auditOf(a, now(), EVENT.gpuResetFailed, { error: errorText(e) }));
        throw e;
      }
      return;
    }
    case "alert": {
      const { delivered } = await deliver(a, deps);
      deps.store.append(auditOf(a, now(), eventTypeFor(a), { delivered }));
      return;
    }
  }
}

function expectedProcess(details: Readonly<Record<string, unknown>> | undefined): ExpectedProcess | null {
  const startTicks = details?.start_ticks;
  const comm = details?.comm;
  return typeof startTicks === "string" && typeof comm === "string" ? { startTicks, comm } : null;
}

// Carries out a plan, one action at a time. A failure is recorded and skips only the rest of its
// group (e.g. no remove after a failed stop); it never stops the other groups. Every step is audited.
import { EVENT } from "../constants/event-types.js";
import { errorText } from "../errors.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { Notice } from "../model/notice.js";
import type { ContainerRuntime, EventStore, GpuProbe, HostProcesses, Notifier, RecordStore } from "../model/ports.js";
import type { Plan, PlannedAction } from "../policy/plan-types.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { eventTypeFor } from "./action-events.js";
import { guardKill, guardRemove, guardStop, type GuardConfig } from "./guards.js";
import { PidReusedError, endProcess, type ExpectedProcess, type KillOptions } from "./kill-process.js";

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

/** Persists the plan's bookkeeping (streaks, samples) before anything is done. */
export function commitPlanRecords(plan: Plan, store: RecordStore): void {
  store.commit(plan.records, []);
  for (const id of plan.forget) store.delete(id);
}

export async function executePlan(plan: Plan, deps: ExecutorDeps): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  const failedGroups = new Set<string>();
  for (const a of plan.actions) {
    let r: ActionResult;
    if (failedGroups.has(a.group)) {
      r = { action: a, executed: false, error: "skipped: an earlier step for this container failed" };
    } else {
      try {
        await executeOne(a, deps);
        r = { action: a, executed: true, error: null };
      } catch (e) {
        failedGroups.add(a.group);
        r = { action: a, executed: false, error: errorText(e) };
        deps.log.warn({ kind: a.kind, reason: a.reason, container: a.container, pid: a.pid, gpu: a.gpuUuid, error: r.error }, "action failed");
        deps.store.append(auditOf(a, deps.clock.now(), EVENT.actionFailed, { error: r.error, kind: a.kind }));
      }
    }
    deps.onResult?.(r);
    results.push(r);
  }
  return results;
}

function auditOf(a: PlannedAction, now: number, type: AuditEvent["type"], extra: Record<string, unknown> = {}): AuditEvent {
  return {
    time: now,
    type,
    user: a.user,
    container: a.container,
    containerId: a.containerId,
    details: { kind: a.kind, reason: a.reason, summary: a.summary, ...(a.pid !== undefined ? { pid: a.pid } : {}), ...(a.gpuUuid ? { gpu_uuid: a.gpuUuid } : {}), ...a.details, ...extra },
  };
}

function noticeOf(a: PlannedAction): Notice | null {
  if (!a.notice) return null;
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
async function deliver(a: PlannedAction, deps: ExecutorDeps): Promise<{ delivered: number; execInContainer: boolean }> {
  const notice = noticeOf(a);
  if (!notice || !deps.notifier) return { delivered: 0, execInContainer: false };
  const results = await deps.notifier.notify(notice);
  for (const d of results) {
    deps.onDelivery?.(d.channel, d.ok);
    if (!d.ok) deps.store.append(auditOf(a, deps.clock.now(), EVENT.notifyFailed, { channel: d.channel, target: d.target, error: d.error }));
  }
  return { delivered: results.filter((d) => d.ok).length, execInContainer: results.some((d) => d.channel === "container_file") };
}

async function executeOne(a: PlannedAction, deps: ExecutorDeps): Promise<void> {
  const now = () => deps.clock.now();
  const id = a.containerId;
  switch (a.kind) {
    case "warn":
    case "final_warn":
    case "notice": {
      // Deliver first, then record the flag with its audit event in one transaction: a crash in
      // between can at worst repeat a warning, never count one that nobody received.
      const { delivered, execInContainer } = await deliver(a, deps);
      const rec = id ? deps.store.get(id) : null;
      // Wall-clock, like the counter samples it is compared with (src/signals).
      const selfExec = execInContainer ? { selfExecAt: Date.now() } : {};
      if (delivered === 0) {
        if (rec && execInContainer) deps.store.put({ ...rec, ...selfExec });
        throw new ActionRefused("notice not delivered on any channel; will retry next check");
      }
      deps.store.commit(rec ? [{ ...rec, ...a.marks, ...selfExec }] : [], [auditOf(a, now(), eventTypeFor(a), { delivered })]);
      return;
    }
    case "stop": {
      if (!id) throw new ActionRefused("stop without a container");
      const why = await guardStop(deps.runtime, id, deps.startedAt.get(id) ?? null, deps.guard);
      if (why) throw new ActionRefused(why);
      const { delivered } = await deliver(a, deps); // before the stop, so the in-container file still works
      await deps.runtime.stop(id, a.graceS ?? 60);
      deps.store.append(auditOf(a, now(), eventTypeFor(a), { grace_s: a.graceS, notice_delivered: delivered }));
      return;
    }
    case "remove": {
      if (!id) throw new ActionRefused("remove without a container");
      const why = await guardRemove(deps.runtime, id, deps.guard);
      if (why) throw new ActionRefused(why);
      await deps.runtime.remove(id);
      deps.store.append(auditOf(a, now(), eventTypeFor(a)));
      return;
    }
    case "release_gpu":
      // Allocation is derived from Docker (labels/DeviceRequests): once the container is gone the slot is free.
      deps.store.append(auditOf(a, now(), eventTypeFor(a)));
      return;
    case "kill_process": {
      const pid = a.pid ?? -1;
      const why = await guardKill(deps.runtime, deps.host, pid);
      if (why) throw new ActionRefused(why);
      const expected = expectedProcess(a.details);
      if (!expected) throw new ActionRefused(`PID ${pid}: its start time was not read when it was attributed, so a reused PID could not be told apart`);
      try {
        const how = await endProcess(deps.host, pid, expected, deps.kill);
        deps.store.append(auditOf(a, now(), eventTypeFor(a), { ended_by: how }));
      } catch (e) {
        if (e instanceof PidReusedError) throw new ActionRefused(e.message);
        deps.store.append(auditOf(a, now(), EVENT.gpuOrphanKillFailed, { error: errorText(e) }));
        throw e;
      }
      return;
    }
    case "reset_gpu": {
      const uuid = a.gpuUuid ?? "";
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

// At the start of a pass (so at daemon start, and in every `ds01 check`), under the pass lock: each
// intent a dead ds01 left open is settled against what the engine and /proc say now.
// - stop: the container is gone, no longer running, or running a newer start → the stop happened
//   (Docker finishes a stop on its own once asked): recorded as the idle/runtime stop it was, with
//   `reconciled: true`. Still running the same run → `action.interrupted`; the planner, whose
//   warnings stand, plans the stop again (with a fresh intent).
// - remove: gone → `container.remove` (reconciled); still there → interrupted.
// - kill_process: the process (same PID and start time) is gone → `gpu.orphan_killed`
//   (reconciled); still there → interrupted.
// An engine that cannot be asked leaves the intent open for the next pass: missing data settles nothing.
import { EVENT } from "../constants/event-types.js";
import { errorText } from "../errors.js";
import type { ContainerRuntime, HostProcesses } from "../model/ports.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { auditOf, eventTypeFor } from "./action-events.js";
import { pidOf } from "../policy/action-target.js";
import type { Intent, IntentLog } from "./intents.js";
import { sameProcess, type ExpectedProcess } from "./kill-process.js";

export interface ReconcileDeps {
  intents: IntentLog;
  runtime: Pick<ContainerRuntime, "inspect">;
  host: Pick<HostProcesses, "identity">;
  clock: Clock;
  log: Logger;
}

export interface Settled {
  intent: Intent;
  happened: boolean;
  observed: string;
}

export async function reconcileIntents(deps: ReconcileDeps): Promise<Settled[]> {
  const out: Settled[] = [];
  for (const intent of deps.intents.unreconciled()) {
    let verdict: { happened: boolean; observed: string };
    try {
      verdict = await look(intent, deps);
    } catch (e) {
      deps.log.warn({ intent: intent.id, kind: intent.kind, container_id: intent.containerId?.slice(0, 12), error: errorText(e) }, "intent not reconciled yet");
      continue;
    }
    const now = deps.clock.now();
    const a = intent.action;
    const common = { reconciled: true, intent_started_at: intent.startedAt, observed: verdict.observed, ...(intent.abandonedAt !== null ? { abandoned_at: intent.abandonedAt } : {}) };
    const event = a === null
      ? unreadableEvent(intent, now, verdict.happened, common)
      : verdict.happened
        ? auditOf(a, now, eventTypeFor(a), { ...common, ...(a.kind === "stop" ? { grace_s: a.graceS } : {}) })
        : auditOf(a, now, EVENT.actionInterrupted, common);
    deps.intents.close(intent, verdict.happened ? "reconciled_done" : "reconciled_not_done", [event], now);
    deps.log.info({ intent: intent.id, kind: intent.kind, container: a?.container ?? undefined, pid: (a ? pidOf(a) : intent.pid) ?? undefined, happened: verdict.happened, observed: verdict.observed }, "intent reconciled");
    out.push({ intent, happened: verdict.happened, observed: verdict.observed });
  }
  return out;
}

async function look(intent: Intent, deps: ReconcileDeps): Promise<{ happened: boolean; observed: string }> {
  switch (intent.kind) {
    case "stop": {
      const c = intent.containerId ? await deps.runtime.inspect(intent.containerId) : null;
      if (!c) return { happened: true, observed: "container gone" };
      if (c.state !== "running" && c.state !== "paused" && c.state !== "restarting") return { happened: true, observed: `container ${c.state}` };
      const planned = typeof intent.facts.started_at === "number" ? intent.facts.started_at : null;
      if (planned !== null && c.startedAt !== planned) return { happened: true, observed: "container stopped and started again since" };
      return { happened: false, observed: `container still ${c.state}` };
    }
    case "remove": {
      const c = intent.containerId ? await deps.runtime.inspect(intent.containerId) : null;
      return c ? { happened: false, observed: `container still there (${c.state})` } : { happened: true, observed: "container gone" };
    }
    case "kill_process": {
      const pid = intent.pid ?? -1;
      const expected = intent.facts.expected as ExpectedProcess | undefined;
      const now = pid > 1 ? await deps.host.identity(pid) : null;
      if (now === null) return { happened: true, observed: `PID ${pid} gone` };
      if (expected && sameProcess(now, expected, pid) !== null) return { happened: true, observed: `PID ${pid} now names another process` };
      return { happened: false, observed: `PID ${pid} still running` };
    }
  }
}

/**
 * A damaged row's event: what the columns (kind, container id, PID) and the engine say, no more.
 * Whose action it was and why (idle or runtime) were in the part that cannot be read.
 */
function unreadableEvent(intent: Intent, now: number, happened: boolean, common: Record<string, unknown>): AuditEvent {
  return {
    time: now,
    type: happened ? EVENT.actionReconciled : EVENT.actionInterrupted,
    user: null,
    container: null,
    containerId: intent.containerId,
    details: { kind: intent.kind, ...(intent.pid !== null ? { pid: intent.pid } : {}), happened, action_unreadable: true, ...common },
  };
}

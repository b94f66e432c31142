// One enforcement pass: observe → plan → act, then a health check of every GPU released during it.
// Used by `ds01 check` and by the daemon; the caller holds the pass lock.
import type { LoadedConfig } from "../config/loaded-config.js";
import { listObserved } from "../docker/list-observed.js";
import { observeGpus } from "../gpu/observe-gpus.js";
import type { Notifier } from "../model/ports.js";
import { commitPlanRecords, executePlan, type ActionResult, type ExecutorDeps } from "../actions/executor.js";
import type { GuardConfig } from "../actions/guards.js";
import { IntentLog } from "../actions/intents.js";
import { reconcileIntents } from "../actions/reconcile.js";
import type { KillOptions } from "../actions/kill-process.js";
import { planGpuHealth, type HealthTarget } from "../policy/gpu-health.js";
import { plan as makePlan } from "../policy/plan.js";
import type { Plan, PlannedAction, Skip, Snapshot } from "../policy/plan-types.js";
import type { Store } from "../store/index.js";
import type { Clock } from "../util/clock.js";
import { observe, otherLiveOwners, type ObserveDeps } from "./observe.js";
import { createPolicyView } from "./policy-view.js";

export const LAST_PASS_KEY = "last_pass_at";

export interface PassDeps extends Omit<ObserveDeps, "events"> {
  config: LoadedConfig;
  store: Store;
  notifier: Notifier | null;
  clock: Clock;
  guard: GuardConfig;
  kill: KillOptions;
  onResult?: (r: ActionResult) => void;
  onDelivery?: (channel: string, ok: boolean) => void;
  /** The intent log of destructive actions (the daemon keeps one for its life); default: one over `store`. */
  intents?: IntentLog;
  /** Aborted when ds01 is shutting down: the pass starts nothing new and finishes what runs. */
  stopping?: AbortSignal;
}

export interface PassReport {
  now: number;
  dryRun: boolean;
  dockerError: string | null;
  gpuError: string | null;
  plan: Plan;
  snapshot: Snapshot;
  results: ActionResult[];
  skipped: Skip[];
}

export async function runPass(deps: PassDeps, opts: { dryRun: boolean }): Promise<PassReport> {
  // Before observing: the caller holds the pass lock, so every open intent not in flight in this
  // process was left by a ds01 that died (or stopped waiting) during the action.
  if (!opts.dryRun) await reconcileIntents({ intents: intentsOf(deps), runtime: deps.runtime, host: deps.host, clock: deps.clock, log: deps.log });
  const now = deps.clock.now();
  const last = deps.store.meta.get(LAST_PASS_KEY);
  const lastPassAt = last === null ? null : Number(last);
  const records = new Map(deps.store.all().map((r) => [r.containerId, r]));
  const obs = await observe({ ...deps, events: deps.store }, records, now, lastPassAt);
  const view = createPolicyView(deps.config, now);
  const plan = makePlan({ snapshot: obs.snapshot, policies: view, records: obs.records });
  const report: PassReport = {
    now, dryRun: opts.dryRun, dockerError: obs.snapshot.dockerError, gpuError: obs.snapshot.gpus.error, plan, snapshot: obs.snapshot,
    results: plan.actions.map((action) => ({ action, executed: false, error: null })), skipped: plan.skipped,
  };
  if (opts.dryRun) return report;

  commitPlanRecords(plan, deps.store);
  const startedAt = new Map(obs.snapshot.containers.map((c) => [c.id, c.startedAt]));
  const exec = executorDeps(deps, startedAt);
  const results = await executePlan(plan, exec);

  // After the actions: look at each GPU released in this pass, on fresh data.
  const released = results.flatMap(({ action: a, executed }) => (executed && a.kind === "release_gpu" ? [a.gpuUuid] : []));
  // Not while stopping (its actions would not start): the next pass looks at these GPUs (released since its last pass).
  if (released.length && !deps.stopping?.aborted) {
    try {
      const health = await healthActions(deps, released.map((uuid): HealthTarget => ({ uuid, why: "released" })), view);
      results.push(...(await executePlan({ ...plan, actions: health }, exec)));
    } catch (e) {
      // Missing data never leads to a kill: the next pass looks at these GPUs again (releasedGpus).
      deps.log.warn({ gpus: released, error: String(e) }, "post-release health check skipped");
    }
  }
  if (!obs.snapshot.dockerError) deps.store.meta.set(LAST_PASS_KEY, String(now));
  return { ...report, results };
}

/** What the executor needs from a pass's dependencies (also `ds01 gpu health`). */
export function executorDeps(deps: PassDeps, startedAt: ReadonlyMap<string, number | null> = new Map()): ExecutorDeps {
  const { runtime, host, probe, notifier, store, clock, log, guard, kill, onResult, onDelivery, stopping } = deps;
  return { runtime, host, gpu: probe, notifier, store, clock, log, guard, kill, startedAt, onResult, onDelivery, stopping, intents: intentsOf(deps) };
}

const ownLogs = new WeakMap<object, IntentLog>();

/** The pass's intent log: the daemon's, or one per store (so `ds01 check` writes intents too). */
function intentsOf(deps: Pick<PassDeps, "intents" | "store">): IntentLog {
  if (deps.intents) return deps.intents;
  let log = ownLogs.get(deps.store);
  if (!log) ownLogs.set(deps.store, (log = new IntentLog(deps.store)));
  return log;
}

/** Health actions for the given GPUs on a fresh observation (also `ds01 gpu health`). */
export async function healthActions(deps: Pick<PassDeps, "runtime" | "probe" | "host" | "identity" | "dcgmExporterUrl" | "log" | "clock" | "config" | "onDcgmError">, targets: readonly HealthTarget[], view = createPolicyView(deps.config, deps.clock.now())): Promise<PlannedAction[]> {
  const [containers, gpus] = await Promise.all([
    listObserved(deps.runtime, deps.identity),
    observeGpus({ probe: deps.probe, hostProcesses: deps.host, dcgmExporterUrl: deps.dcgmExporterUrl, logger: deps.log, ...(deps.onDcgmError ? { onDcgmError: deps.onDcgmError } : {}) }),
  ]);
  const otherLiveContainerIds = await otherLiveOwners(deps.runtime, gpus.inventory, containers);
  const snapshot: Snapshot = { now: deps.clock.now(), containers, dockerError: null, activity: new Map(), gpus: gpus.inventory, gpuUtilMax: new Map(), keepaliveMtime: new Map(), releasedGpus: [], otherLiveContainerIds };
  return planGpuHealth(snapshot, targets, view);
}

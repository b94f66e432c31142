// The "time left" part of `ds01 status`: the planner's own assessment (explain) for each container,
// with the records of the store when this user may read it (streaks, warnings, runtime across
// restarts), otherwise from what can be seen now.
import { join } from "node:path";
import type { LoadedConfig } from "../config/loaded-config.js";
import { gpuProbe } from "../compose/gpu-probe.js";
import { ProcHostProcesses } from "../gpu/host-processes.js";
import { observeGpus } from "../gpu/observe-gpus.js";
import type { ContainerRecord } from "../model/record.js";
import { createPolicyView } from "../pass/policy-view.js";
import { nextStepNow } from "../policy/explain.js";
import { defaultStateDir, openStore, STORE_FILE } from "../store/index.js";
import { storeAccess, unreadableStoreText } from "../store/store-access.js";
import { isoTime } from "../util/clock.js";
import type { CliContext } from "./context.js";
import type { NextStep } from "./status.js";

/** The store's records by container id, when this user may read the store (else none, with a note). */
export function readRecords(ctx: CliContext): Map<string, ContainerRecord> {
  const dir = defaultStateDir(ctx);
  const access = storeAccess(join(dir, STORE_FILE));
  if (access.kind === "unreadable") ctx.err(`ds01: note: ${unreadableStoreText("the system's records", join(dir, STORE_FILE), access.why)}; time left is judged from what is visible now\n`);
  if (access.kind !== "readable") return new Map();
  try {
    const store = openStore(dir, { readonly: true });
    try {
      return new Map(store.all().map((r) => [r.containerId, r]));
    } finally {
      store.close();
    }
  } catch (e) {
    ctx.err(`ds01: note: cannot read the system's records: ${e instanceof Error ? e.message : String(e)}; time left is judged from what is visible now\n`);
    return new Map();
  }
}

export async function nextStepFor(ctx: CliContext, config: LoadedConfig, records = readRecords(ctx)): Promise<NextStep> {
  const now = ctx.clock.now();
  const { inventory } = await observeGpus({ probe: gpuProbe(config, ctx.env), hostProcesses: new ProcHostProcesses(), dcgmExporterUrl: config.gpu.dcgm_exporter_url });
  const view = createPolicyView(config, now);
  return (c, reading, all) => {
    const activity = { cpuPct: reading?.cpuPct ?? null, netBytesPerS: reading?.netBytesPerS ?? null };
    const next = nextStepNow({ now, containers: all, gpus: inventory, activity }, view, c, records.get(c.id) ?? null);
    return next ? { kind: next.kind, reason: next.reason, at: isoTime(next.at) } : null;
  };
}

// GPU release and health, done safely. After a GPU is released,
// or on `ds01 gpu health`: end processes that belong to no running container, and reset the GPU only
// when it is a whole, unshared GPU with nothing left on it. MIG or shared GPUs are never reset: alert.
import { canRunProcesses, type ObservedContainer } from "../model/container.js";
import type { Gpu, GpuProcess } from "../model/gpu.js";
import type { PlannedAction, PolicyView, Snapshot } from "./plan-types.js";
import { gpuIndex } from "./idle-signals.js";

export interface HealthTarget {
  /** A full GPU UUID or a MIG device UUID. */
  uuid: string;
  why: "released" | "on_demand";
}

export function planGpuHealth(s: Snapshot, targets: readonly HealthTarget[], policies: PolicyView): PlannedAction[] {
  // Missing data never leads to a kill or a reset.
  if (targets.length === 0 || s.dockerError || s.gpus.error) return [];
  const idx = gpuIndex(s.gpus);
  const live = s.containers.filter((c) => canRunProcesses(c.state));
  const liveIds = new Set([...live.map((c) => c.id), ...(s.otherLiveContainerIds ?? [])]);
  const heldBy = new Map<string, ObservedContainer[]>();
  for (const c of live) {
    for (const g of c.identity.gpus) {
      const list = heldBy.get(g);
      if (list) list.push(c);
      else heldBy.set(g, [c]);
    }
  }

  const actions: PlannedAction[] = [];
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.uuid)) continue;
    seen.add(t.uuid);
    const mig = idx.migByUuid.get(t.uuid);
    const gpu: Gpu | undefined = mig ? mig.gpu : idx.gpuByUuid.get(t.uuid);
    if (!gpu) continue;
    const procs = mig ? gpu.processes.filter((p) => p.migUuid === t.uuid) : gpu.processes;
    const orphans = procs.filter((p) => isOrphan(p, liveIds));
    const kept = procs.filter((p) => !orphans.includes(p));
    const group = `health:${t.uuid}`;
    for (const p of orphans) {
      actions.push({
        kind: "kill_process",
        reason: "orphan_process",
        containerId: p.containerId,
        container: null,
        user: null,
        group,
        pid: p.pid,
        gpuUuid: t.uuid,
        summary: `orphan PID ${p.pid} (${p.name ?? "?"}) on GPU ${gpu.index}: belongs to no running container`,
        details: {
          pid: p.pid,
          process_name: p.name,
          used_memory_mib: p.usedMemoryMib,
          cgroup_container_id: p.containerId,
          target: t.why,
          // What the executor checks again right before each signal, so a reused PID is never hit.
          start_ticks: p.identity?.startTicks ?? null,
          comm: p.identity?.comm ?? null,
        },
      });
    }
    if (orphans.length === 0) continue;
    const holders = [...(heldBy.get(gpu.uuid) ?? []), ...gpu.migDevices.flatMap((m) => heldBy.get(m.uuid) ?? [])];
    const blockers: string[] = [];
    if (gpu.migEnabled !== false) blockers.push(gpu.migEnabled ? "MIG is enabled (a reset would wipe every instance)" : "MIG mode unknown");
    if (holders.length) blockers.push(`held by running container(s) ${holders.map((c) => c.name).join(", ")}`);
    if (kept.length) blockers.push(`${kept.length} other process(es) remain (PIDs ${kept.map((p) => p.pid).join(", ")})`);
    if (policies.global().gpu_reset === "never") continue;
    if (blockers.length) {
      actions.push({
        kind: "alert", reason: "gpu_health", containerId: null, container: null, user: null, group: `alert:${t.uuid}`, gpuUuid: gpu.uuid,
        summary: `GPU ${gpu.index} had ${orphans.length} orphan process(es) and will not be reset: ${blockers.join("; ")}`,
        details: { orphans: orphans.map((p) => p.pid), blockers },
        notice: { severity: "alert", title: `GPU ${gpu.index} needs attention`, body: `ds01 found ${orphans.length} orphan GPU process(es) on GPU ${gpu.index} (${gpu.uuid}) and ended them, but will not reset the GPU: ${blockers.join("; ")}. Check it with \`ds01 gpu list\`.` },
      });
    } else {
      actions.push({
        kind: "reset_gpu", reason: "gpu_health", containerId: null, container: null, user: null, group, gpuUuid: gpu.uuid,
        summary: `reset GPU ${gpu.index} after ending ${orphans.length} orphan process(es)`,
        details: { orphans: orphans.map((p) => p.pid) },
      });
    }
  }
  return actions;
}

/** On this host's /proc, and its cgroup belongs to no running container. */
export function isOrphan(p: GpuProcess, liveContainerIds: ReadonlySet<string>): boolean {
  if (p.notOnHost) return false;
  return p.containerId === null || !liveContainerIds.has(p.containerId);
}

// observe: the I/O half of a pass. Containers, their identity and activity, GPUs, keep-alive files,
// GPUs released since the last pass → one Snapshot (plus the records with fresh counter samples).
import type { QueueSnapshot } from "../gate/queue-snapshot.js";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { EVENT } from "../constants/event-types.js";
import type { IdentityOptions } from "../docker/identity.js";
import { listObserved } from "../docker/list-observed.js";
import { errorText } from "../errors.js";
import { observeGpus } from "../gpu/observe-gpus.js";
import { canRunProcesses, type ObservedContainer } from "../model/container.js";
import type { GpuInventory } from "../model/gpu.js";
import type { ContainerRuntime, EventStore, GpuProbe, HostProcesses } from "../model/ports.js";
import { newRecord, type ContainerRecord, type CounterSample } from "../model/record.js";
import type { ContainerActivity, Snapshot } from "../policy/plan-types.js";
import type { Logger } from "../util/log.js";

/** Measures CPU and network since each container's previous sample (src/signals). */
export interface ActivitySampler {
  sample(
    containers: readonly ObservedContainer[],
    previous: ReadonlyMap<string, ContainerRecord>,
    now: number,
  ): Promise<Map<string, { activity: ContainerActivity; lastCpu: CounterSample | null; lastNet: CounterSample | null }>>;
}

export interface GpuSampleSource {
  /** Highest utilisation per GPU UUID sampled since `since` (the daemon samples between passes). */
  maxSince(uuid: string, since: number): number | null | undefined;
}

export interface ObserveDeps {
  runtime: ContainerRuntime;
  probe: GpuProbe;
  host: HostProcesses;
  sampler: ActivitySampler;
  events: EventStore;
  identity: IdentityOptions;
  dcgmExporterUrl: string | null;
  /** The keep-alive file's path for an owner (their resolved `keepalive_file`: it may differ per group or user). */
  keepaliveFile: (owner: string) => string;
  procRoot?: string;
  gpuSamples?: GpuSampleSource;
  /** Told of each failed dcgm-exporter scrape. */
  onDcgmError?: () => void;
  /** The gate's GPU queue now (null: no gate, or unreadable; a failure reads as nobody waiting). */
  gpuQueue?: () => Promise<QueueSnapshot | null>;
  log: Logger;
}

export interface Observation {
  snapshot: Snapshot;
  /** Records with this pass's counter samples folded in (the planner keeps them). */
  records: Map<string, ContainerRecord>;
}

const EMPTY_INVENTORY: GpuInventory = { gpus: [], error: "not probed: Docker unavailable" };

export async function observe(deps: ObserveDeps, previous: ReadonlyMap<string, ContainerRecord>, now: number, lastPassAt: number | null): Promise<Observation> {
  let containers: ObservedContainer[] = [];
  let dockerError: string | null = null;
  const gpuPromise = observeGpus({ probe: deps.probe, hostProcesses: deps.host, dcgmExporterUrl: deps.dcgmExporterUrl, logger: deps.log, ...(deps.onDcgmError ? { onDcgmError: deps.onDcgmError } : {}) });
  try {
    containers = await listObserved(deps.runtime, deps.identity);
  } catch (e) {
    dockerError = errorText(e);
    deps.log.warn({ error: dockerError }, "docker list failed");
  }
  const gpus = dockerError ? (await gpuPromise.catch(() => null), EMPTY_INVENTORY) : (await gpuPromise).inventory;
  const records = new Map(previous);
  const activity = new Map<string, ContainerActivity>();
  const running = containers.filter((c) => c.state === "running");
  if (!dockerError) {
    const sampled = await deps.sampler.sample(running, previous, now);
    for (const [id, s] of sampled) {
      const rec = records.get(id);
      // CPU spent by ds01's own command in the container (a notice file) is not the owner's activity.
      const selfExec = rec?.selfExecAt != null && rec.lastCpu !== null && rec.selfExecAt >= rec.lastCpu.at;
      activity.set(id, selfExec ? { ...s.activity, cpuPct: null } : s.activity);
      const c = running.find((x) => x.id === id);
      const base = rec ?? (c ? newRecord(c.id, c.name, c.identity.owner, now) : null);
      if (base) records.set(id, { ...base, lastCpu: s.lastCpu, lastNet: s.lastNet });
    }
  }
  const gpuUtilMax = new Map<string, number | null>();
  if (deps.gpuSamples && lastPassAt !== null) {
    for (const g of gpus.gpus) {
      const v = deps.gpuSamples.maxSince(g.uuid, lastPassAt);
      if (v !== undefined) gpuUtilMax.set(g.uuid, v);
    }
  }
  const keepaliveMtime = await keepaliveTimes(running, deps.keepaliveFile, deps.procRoot ?? "/proc");
  const releasedGpus = lastPassAt === null ? [] : releasedSince(deps.events, lastPassAt);
  const otherLiveContainerIds = await otherLiveOwners(deps.runtime, gpus, containers);
  const gpuQueueWaiting = deps.gpuQueue ? ((await deps.gpuQueue().catch(() => null))?.waiting.length ?? 0) : 0;
  const snapshot: Snapshot = { now, containers, dockerError, activity, gpus, gpuUtilMax, keepaliveMtime, releasedGpus, otherLiveContainerIds, gpuQueueWaiting };
  return { snapshot, records };
}

/** Reads the keep-alive file through the container's own root (/proc/<pid>/root): no docker exec. */
async function keepaliveTimes(running: readonly ObservedContainer[], fileOf: (owner: string) => string, procRoot: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await Promise.all(
    running.map(async (c) => {
      if (!c.pid) return;
      try {
        out.set(c.id, (await stat(join(procRoot, String(c.pid), "root", fileOf(c.identity.owner)))).mtimeMs);
      } catch {
        /* no file */
      }
    }),
  );
  return out;
}

function releasedSince(events: EventStore, since: number): string[] {
  const uuids = new Set<string>();
  for (const e of events.query({ since, type: "gpu." })) {
    if (e.type === EVENT.gpuRelease || e.type === EVENT.gpuFreed) {
      const u = e.details.gpu_uuid;
      if (typeof u === "string") uuids.add(u);
      const many = e.details.gpus;
      if (Array.isArray(many)) for (const x of many) if (typeof x === "string") uuids.add(x);
    }
  }
  return [...uuids];
}

/** GPU processes attributed to containers we did not list (out of scope): are those running? */
export async function otherLiveOwners(rt: ContainerRuntime, gpus: GpuInventory, listed: readonly ObservedContainer[]): Promise<Set<string>> {
  const known = new Set(listed.map((c) => c.id));
  const ids = new Set(gpus.gpus.flatMap((g) => g.processes.map((p) => p.containerId)).filter((id): id is string => id !== null && !known.has(id)));
  const live = new Set<string>();
  for (const id of ids) {
    // An inspect failure counts as live: missing data never makes a process an orphan.
    const c = await rt.inspect(id).catch(() => ({ state: "running" as const }));
    if (c && canRunProcesses(c.state)) live.add(id);
  }
  return live;
}

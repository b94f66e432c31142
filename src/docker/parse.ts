// Engine JSON → ds01's model. Pure functions; the schemas in engine-schema.ts have already run.
import { canRunProcesses, CONTAINER_STATES, type ContainerInfo, type ContainerState } from "../model/container.js";
import type { ContainerEvent, EngineStats } from "../model/ports.js";
import type { DeviceRequest, EventBody, InspectBody, ListEntry, StatsBody } from "./engine-schema.js";

/**
 * Docker timestamps: RFC 3339 with up to nanosecond precision and `Z` or an offset
 * (`2024-05-01T10:00:00.123456789Z`, `2024-05-01T12:00:00.5+02:00`). Docker's zero time
 * `0001-01-01T00:00:00Z` (never started / never finished), an empty string or garbage → null.
 */
export function parseDockerTime(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(text.trim());
  if (!m) return null;
  if (Number(m[1]) <= 1) return null; // year 0001: Go's zero time
  const frac = (m[7] ?? "").padEnd(3, "0").slice(0, 3);
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${frac}${m[8]}`);
  return Number.isFinite(ms) ? ms : null;
}

export function parseState(text: string | null | undefined): ContainerState | null {
  const s = (text ?? "").toLowerCase();
  return (CONTAINER_STATES as readonly string[]).includes(s) ? (s as ContainerState) : null;
}

function isGpuRequest(r: DeviceRequest): boolean {
  if ((r.Driver ?? "").toLowerCase() === "nvidia") return true;
  return (r.Capabilities ?? []).some((set) => (set ?? []).some((c) => c.toLowerCase() === "gpu"));
}

/** GPU ids of every GPU DeviceRequest (all requests, all ids; comma lists split) and whether any GPU is asked for. */
export function gpuDeviceRequests(requests: readonly DeviceRequest[] | null | undefined): { ids: string[]; requestsGpu: boolean } {
  const ids: string[] = [];
  let requestsGpu = false;
  for (const r of requests ?? []) {
    if (!isGpuRequest(r)) continue;
    const rIds = (r.DeviceIDs ?? []).flatMap((d) => d.split(",")).map((d) => d.trim()).filter(Boolean);
    if (rIds.length > 0 || (r.Count ?? 0) !== 0) requestsGpu = true;
    for (const id of rIds) if (!ids.includes(id)) ids.push(id);
  }
  return { ids, requestsGpu };
}

export function envValue(env: readonly string[] | null | undefined, key: string): string | null {
  const prefix = `${key}=`;
  for (let i = (env ?? []).length - 1; i >= 0; i--) {
    const e = env![i]!;
    if (e.startsWith(prefix)) return e.slice(prefix.length);
  }
  return null;
}

function stripSlash(name: string): string {
  return name.startsWith("/") ? name.slice(1) : name;
}

/**
 * One container from its inspect body; `entry` (from the list call) wins for the fields both carry,
 * so a cached inspect body can be combined with a fresh list entry. Returns null for a state that
 * is not one of Docker's (the caller decides whether that is an error).
 */
export function toContainerInfo(body: InspectBody, entry?: ListEntry): ContainerInfo | null {
  const state = parseState(entry?.State ?? body.State.Status);
  if (!state) return null;
  const gpu = gpuDeviceRequests(body.HostConfig?.DeviceRequests);
  const running = canRunProcesses(state);
  const pid = body.State.Pid ?? 0;
  const listName = entry?.Names?.[0];
  const createdFromList = entry?.Created != null ? entry.Created * 1000 : null;
  return {
    id: body.Id,
    name: stripSlash(listName ?? body.Name ?? ""),
    image: entry?.Image ?? body.Config?.Image ?? body.Image ?? "",
    labels: { ...(entry?.Labels ?? body.Config?.Labels ?? {}) },
    state,
    createdAt: parseDockerTime(body.Created) ?? createdFromList ?? 0,
    startedAt: parseDockerTime(body.State.StartedAt),
    finishedAt: parseDockerTime(body.State.FinishedAt),
    restartCount: body.RestartCount ?? 0,
    pid: running && pid > 0 ? pid : null,
    deviceRequestGpuIds: gpu.ids,
    requestsGpu: gpu.requestsGpu,
    cgroupParent: body.HostConfig?.CgroupParent || null,
    nvidiaVisibleDevices: envValue(body.Config?.Env, "NVIDIA_VISIBLE_DEVICES"),
  };
}

export function toEngineStats(body: StatsBody, fallbackAt: number): EngineStats | null {
  const cpu = body.cpu_stats?.cpu_usage?.total_usage;
  if (cpu == null) return null;
  let rx: number | null = null;
  let tx: number | null = null;
  if (body.networks) {
    rx = 0;
    tx = 0;
    for (const [name, n] of Object.entries(body.networks)) {
      if (name === "lo") continue;
      if (n.rx_bytes == null || n.tx_bytes == null) {
        rx = null;
        tx = null;
        break;
      }
      rx += n.rx_bytes;
      tx += n.tx_bytes;
    }
  }
  return { cpuTotalNs: cpu, netRxBytes: rx, netTxBytes: tx, at: parseDockerTime(body.read) ?? fallbackAt };
}

/** A container event from one `/events` line; null for other object types or lines without an id. */
export function toContainerEvent(body: EventBody): ContainerEvent | null {
  if ((body.Type ?? "container") !== "container") return null;
  const id = body.Actor?.ID ?? body.id;
  const action = body.Action ?? body.status;
  if (!id || !action) return null;
  const attrs = { ...(body.Actor?.Attributes ?? {}) };
  const name = attrs.name ?? null;
  delete attrs.name;
  delete attrs.image;
  for (const k of ["exitCode", "signal", "execID"]) delete attrs[k];
  const time = body.timeNano != null ? Math.floor(body.timeNano / 1e6) : (body.time ?? 0) * 1000;
  return { action, id, name, labels: attrs, time };
}

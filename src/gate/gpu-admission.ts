// GPUs at the front door: a create that asks for GPUs (`--gpus N|all`, compose reservations: all
// arrive as a DeviceRequest with driver nvidia or capability gpu) is allocated by the same
// allocator `ds01 create` uses, and rewritten to the allocated device UUIDs with the ds01.gpu.*
// labels. Every other create gets NVIDIA_VISIBLE_DEVICES=void, so an image's own
// `ENV NVIDIA_VISIBLE_DEVICES=all` (CUDA images have it) cannot expose GPUs where the nvidia
// runtime is the default.
import { LABEL } from "../constants/labels.js";
import type { Slot } from "../allocation/slots.js";
import { field, isObject, setField, stringList, type Json, type JsonObject } from "../docker/json-fields.js";

export type GpuAsk = { kind: "none" } | { kind: "count"; count: number; all: boolean } | { kind: "refuse"; reason: string };

const ENV_KEY = "NVIDIA_VISIBLE_DEVICES";
const NO_DEVICES = new Set(["", "void", "none"]);

function isGpuRequest(r: JsonObject): boolean {
  const driver = field(r, "Driver");
  if (typeof driver === "string" && driver.toLowerCase() === "nvidia") return true;
  const caps = field(r, "Capabilities");
  return Array.isArray(caps) && caps.some((set) => Array.isArray(set) && set.some((c) => c === "gpu"));
}

/** What GPUs a create asks for (pure). `cap`: the caller's max_gpu_slots_per_container. */
export function gpuAskOf(body: JsonObject, cap: number | null, all: "cap" | "refuse" = "cap"): GpuAsk {
  const env = stringList(field(body, "Env"));
  if (env === null) return { kind: "refuse", reason: "Env must be a list of KEY=value strings" };
  const own = env.find((e) => e.split("=")[0] === ENV_KEY);
  if (own !== undefined && !NO_DEVICES.has(own.slice(ENV_KEY.length + 1).trim().toLowerCase())) {
    return { kind: "refuse", reason: `${own} picks GPUs by hand; ask for them with --gpus N and ds01 allocates free ones within your quota` };
  }
  const hc = field(body, "HostConfig");
  const requests = isObject(hc ?? null) ? field(hc as JsonObject, "DeviceRequests") : undefined;
  if (requests === undefined || requests === null) return { kind: "none" };
  if (!Array.isArray(requests)) return { kind: "refuse", reason: "HostConfig.DeviceRequests must be a list" };
  const gpu: JsonObject[] = [];
  for (const r of requests as Json[]) {
    if (!isObject(r)) return { kind: "refuse", reason: "HostConfig.DeviceRequests entries must be mappings" };
    if (!isGpuRequest(r)) return { kind: "refuse", reason: `device requests other than GPUs (driver ${JSON.stringify(field(r, "Driver") ?? "")}) are not allowed` };
    gpu.push(r);
  }
  if (gpu.length === 0) return { kind: "none" };
  if (gpu.length > 1) return { kind: "refuse", reason: "give --gpus once per container" };
  const r = gpu[0]!;
  const ids = stringList(field(r, "DeviceIDs"));
  if (ids === null) return { kind: "refuse", reason: "DeviceIDs must be a list of strings" };
  if (ids.length > 0) {
    return { kind: "refuse", reason: `--gpus device=${ids.join(",")} picks GPUs by hand; ask for a number (--gpus ${ids.length}) and ds01 allocates free ones within your quota` };
  }
  const count = field(r, "Count");
  if (typeof count !== "number" || !Number.isInteger(count)) return { kind: "refuse", reason: "DeviceRequests Count must be a whole number" };
  if (count === -1) {
    if (all === "refuse") return { kind: "refuse", reason: "--gpus all is not allowed on this server; ask for a number of GPUs (--gpus N)" };
    if (cap === null) return { kind: "refuse", reason: "--gpus all means every GPU of the server; ask for a number (--gpus N) instead" };
    return { kind: "count", count: cap, all: true };
  }
  if (count < 0) return { kind: "refuse", reason: `--gpus ${count} is not a number of GPUs` };
  if (count === 0) return { kind: "none" };
  return { kind: "count", count, all: false };
}

function setEnv(body: JsonObject, value: string): void {
  const env = (stringList(field(body, "Env")) ?? []).filter((e) => e.split("=")[0] !== ENV_KEY);
  env.push(`${ENV_KEY}=${value}`);
  setField(body, "Env", env);
}

/** A create without GPUs: no GPU may appear through the image's environment either. */
export function withoutGpus(body: JsonObject): void {
  setEnv(body, "void");
}

/** The create rewritten to the allocated slots: explicit UUIDs, the ds01.gpu.* labels. */
export function withSlots(body: JsonObject, slots: readonly Slot[], at: number): void {
  const uuids = slots.map((s) => s.uuid);
  const hc = field(body, "HostConfig") as JsonObject;
  setField(hc, "DeviceRequests", [{ Driver: "nvidia", Count: 0, DeviceIDs: uuids, Capabilities: [["gpu"]], Options: {} }]);
  setEnv(body, uuids.join(","));
  const labels = (field(body, "Labels") as JsonObject | undefined) ?? {};
  labels[uuids.length === 1 ? LABEL.gpuUuid : LABEL.gpuUuids] = uuids.join(",");
  labels[LABEL.gpuAllocated] = slots.map((s) => s.id).join(",");
  labels[LABEL.gpuAllocatedAt] = new Date(at).toISOString();
  setField(body, "Labels", labels);
}

// GPUs at the front door: a create that asks for GPUs (`--gpus N|all`, compose reservations: all
// arrive as a DeviceRequest with driver nvidia or capability gpu) is allocated by the same
// allocator `ds01 create` uses, and rewritten to the allocated device UUIDs with the ds01.gpu.*
// labels. Every other create gets NVIDIA_VISIBLE_DEVICES=void, so an image's own
// `ENV NVIDIA_VISIBLE_DEVICES=all` (CUDA images have it) cannot expose GPUs where the nvidia
// runtime is the default.
import { LABEL } from "../constants/labels.js";
import type { Slot } from "../allocation/slots.js";
import { field, isObject, setField, stringList, type Json, type JsonObject } from "../docker/json-fields.js";

export type GpuAsk =
  | { kind: "none" }
  | { kind: "count"; count: number; all: boolean }
  /** Named devices (`how`: the form the client used, for messages). */
  | { kind: "pinned"; ids: string[]; how: string }
  | { kind: "refuse"; reason: string };

const ENV_KEY = "NVIDIA_VISIBLE_DEVICES";
const NO_DEVICES = new Set(["", "void", "none"]);
/** /dev/nvidia<N> is GPU N; the others are the driver's control devices every GPU container gets. */
const GPU_DEVICE = /^\/dev\/nvidia(\d+)$/;
const CONTROL_DEVICES = new Set(["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"]);

function isGpuRequest(r: JsonObject): boolean {
  const driver = field(r, "Driver");
  if (typeof driver === "string" && driver.toLowerCase() === "nvidia") return true;
  const caps = field(r, "Capabilities");
  return Array.isArray(caps) && caps.some((set) => Array.isArray(set) && set.some((c) => c === "gpu"));
}

/**
 * `--device /dev/nvidia0` (and the control devices that come with it): taken out of
 * `HostConfig.Devices` (the allocation gives the container its GPUs) and returned as the GPU
 * indexes they name. Any other device stays, for the create's own check to refuse.
 */
export function takeGpuDevices(body: JsonObject): GpuAsk {
  const hc = field(body, "HostConfig");
  if (!isObject(hc ?? null)) return { kind: "none" };
  const devices = field(hc as JsonObject, "Devices");
  if (!Array.isArray(devices) || devices.length === 0) return { kind: "none" };
  const path = (d: Json) => (isObject(d) ? field(d, "PathOnHost") : undefined);
  const nvidia = (devices as Json[]).filter((d) => {
    const p = path(d);
    return typeof p === "string" && (GPU_DEVICE.test(p) || CONTROL_DEVICES.has(p));
  });
  if (nvidia.length === 0) return { kind: "none" };
  const ids = nvidia.map((d) => GPU_DEVICE.exec(path(d) as string)?.[1]).filter((x): x is string => x !== undefined);
  if (ids.length === 0) return { kind: "refuse", reason: "NVIDIA control devices without a GPU are not allowed; ask for GPUs with --gpus N" };
  setField(hc as JsonObject, "Devices", (devices as Json[]).filter((d) => !nvidia.includes(d)));
  return { kind: "pinned", ids: [...new Set(ids)], how: ids.map((i) => `--device /dev/nvidia${i}`).join(" ") };
}

/**
 * What GPUs a create asks for (pure): `--gpus N|all|device=…` (a DeviceRequest), the
 * NVIDIA_VISIBLE_DEVICES environment (`--runtime=nvidia -e …`), or GPU devices already taken out
 * by takeGpuDevices (`devices`). `cap`: the caller's max_gpu_slots_per_container.
 */
export function gpuAskOf(body: JsonObject, cap: number | null, all: "cap" | "refuse" = "cap", devices: GpuAsk = { kind: "none" }): GpuAsk {
  if (devices.kind === "refuse") return devices;
  const env = stringList(field(body, "Env"));
  if (env === null) return { kind: "refuse", reason: "Env must be a list of KEY=value strings" };
  const own = env.find((e) => e.split("=")[0] === ENV_KEY);
  const envValue = own === undefined ? "" : own.slice(ENV_KEY.length + 1).trim();
  const fromEnv = NO_DEVICES.has(envValue.toLowerCase()) ? null : envValue;
  const hc = field(body, "HostConfig");
  const requests = isObject(hc ?? null) ? field(hc as JsonObject, "DeviceRequests") : undefined;
  if (requests !== undefined && requests !== null && !Array.isArray(requests)) return { kind: "refuse", reason: "HostConfig.DeviceRequests must be a list" };
  const gpu: JsonObject[] = [];
  for (const r of (requests ?? []) as Json[]) {
    if (!isObject(r)) return { kind: "refuse", reason: "HostConfig.DeviceRequests entries must be mappings" };
    if (!isGpuRequest(r)) return { kind: "refuse", reason: `device requests other than GPUs (driver ${JSON.stringify(field(r, "Driver") ?? "")}) are not allowed` };
    gpu.push(r);
  }
  const forms = [gpu.length > 0 ? "--gpus" : null, fromEnv !== null ? ENV_KEY : null, devices.kind === "pinned" ? "--device /dev/nvidia*" : null].filter(Boolean);
  if (forms.length > 1) return { kind: "refuse", reason: `GPUs are asked for in more than one way (${forms.join(", ")}); use one, e.g. --gpus N` };
  if (devices.kind === "pinned") return devices;
  if (fromEnv !== null) return envAsk(fromEnv, cap, all);
  if (gpu.length === 0) return { kind: "none" };
  if (gpu.length > 1) return { kind: "refuse", reason: "give --gpus once per container" };
  const r = gpu[0]!;
  const ids = stringList(field(r, "DeviceIDs"));
  if (ids === null) return { kind: "refuse", reason: "DeviceIDs must be a list of strings" };
  if (ids.length > 0) return pinned(ids, `--gpus device=${ids.join(",")}`);
  const count = field(r, "Count");
  if (typeof count !== "number" || !Number.isInteger(count)) return { kind: "refuse", reason: "DeviceRequests Count must be a whole number" };
  if (count === -1) return allAsk(cap, all, "--gpus all");
  if (count < 0) return { kind: "refuse", reason: `--gpus ${count} is not a number of GPUs` };
  if (count === 0) return { kind: "none" };
  return { kind: "count", count, all: false };
}

function allAsk(cap: number | null, all: "cap" | "refuse", how: string): GpuAsk {
  if (all === "refuse") return { kind: "refuse", reason: `${how} is not allowed on this server; ask for a number of GPUs (--gpus N)` };
  if (cap === null) return { kind: "refuse", reason: `${how} means every GPU of the server; ask for a number (--gpus N) instead` };
  return { kind: "count", count: cap, all: true };
}

function pinned(ids: readonly string[], how: string): GpuAsk {
  const clean = ids.map((i) => i.trim());
  if (clean.some((i) => i === "" || !/^[A-Za-z0-9:._-]{1,128}$/.test(i))) return { kind: "refuse", reason: `${how}: a device is a GPU index, a gpu:mig index or a GPU-/MIG- UUID` };
  return { kind: "pinned", ids: clean, how };
}

function envAsk(value: string, cap: number | null, all: "cap" | "refuse"): GpuAsk {
  const how = `${ENV_KEY}=${value}`;
  if (value.toLowerCase() === "all") return allAsk(cap, all, how);
  return pinned(value.split(","), how);
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

// `nvidia-smi -q -x` → plain facts per GPU. Handles the old (DTD v11, driver 510) and new (DTD v13,
// driver 590) layouts: the elements read here have the same names in both.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { TransientError } from "../errors.js";
import { NVIDIA_SMI_SOURCE, decodeUtf8 } from "./decode.js";
import { parseEnabled, parseId, parseMeasure, parseText } from "./values.js";

export interface XmlMigDevice {
  /** `<index>`: the device number `nvidia-smi -L` prints as "Device N". */
  index: number | null;
  gpuInstanceId: number | null;
  computeInstanceId: number | null;
  memoryUsedMib: number | null;
  memoryTotalMib: number | null;
}

export interface XmlProcess {
  pid: number;
  name: string | null;
  usedMemoryMib: number | null;
  gpuInstanceId: number | null;
  computeInstanceId: number | null;
}

export interface XmlGpu {
  /** PCI bus id from `<gpu id="...">`. */
  busId: string | null;
  uuid: string;
  name: string | null;
  minorNumber: number | null;
  migEnabled: boolean | null;
  utilizationPct: number | null;
  memoryUsedMib: number | null;
  memoryTotalMib: number | null;
  migDevices: XmlMigDevice[];
  processes: XmlProcess[];
}

export interface XmlReport {
  driverVersion: string | null;
  gpus: XmlGpu[];
  /** GPUs `<attached_gpus>` counts that have no `<gpu>` element (fallen off the bus): 0 or absent normally. */
  missingGpus?: number;
}

type Node = Record<string, unknown>;

const ARRAYS = new Set(["gpu", "mig_device", "process_info"]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => ARRAYS.has(name),
});

function fail(message: string, cause?: unknown): never {
  throw new TransientError(`nvidia-smi -q -x: ${message}`, NVIDIA_SMI_SOURCE, cause === undefined ? undefined : { cause });
}

function isNode(v: unknown): v is Node {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The text of a leaf element at `path`, or null when it is missing or not a leaf. */
function leaf(node: unknown, ...path: string[]): string | null {
  let cur: unknown = node;
  for (const key of path) {
    if (!isNode(cur)) return null;
    cur = cur[key];
  }
  if (typeof cur === "string") return cur;
  if (typeof cur === "number" || typeof cur === "boolean") return String(cur);
  return null;
}

/** Child elements of a list container (`<processes>`, `<mig_devices>`); text like "None" means none. */
function list(node: unknown, container: string, item: string): unknown[] {
  const c = isNode(node) ? node[container] : undefined;
  if (!isNode(c)) return [];
  const items = c[item];
  return Array.isArray(items) ? items : [];
}

function parseMigDevice(d: unknown): XmlMigDevice {
  return {
    index: parseId(leaf(d, "index")),
    gpuInstanceId: parseId(leaf(d, "gpu_instance_id")),
    computeInstanceId: parseId(leaf(d, "compute_instance_id")),
    memoryUsedMib: parseMeasure(leaf(d, "fb_memory_usage", "used"), "MiB"),
    memoryTotalMib: parseMeasure(leaf(d, "fb_memory_usage", "total"), "MiB"),
  };
}

function parseProcess(p: unknown, gpuUuid: string): XmlProcess {
  const pid = parseId(leaf(p, "pid"));
  if (pid === null || pid === 0) fail(`a process on ${gpuUuid} has no valid pid (${JSON.stringify(leaf(p, "pid"))})`);
  return {
    pid,
    name: parseText(leaf(p, "process_name")),
    usedMemoryMib: parseMeasure(leaf(p, "used_memory"), "MiB"),
    gpuInstanceId: parseId(leaf(p, "gpu_instance_id")),
    computeInstanceId: parseId(leaf(p, "compute_instance_id")),
  };
}

function parseGpu(g: unknown, position: number): XmlGpu {
  if (!isNode(g)) fail(`<gpu> number ${position} is empty`);
  const uuid = parseText(leaf(g, "uuid"));
  if (uuid === null || !/^GPU-[0-9A-Za-z-]+$/.test(uuid)) fail(`<gpu> number ${position} has no valid <uuid> (${JSON.stringify(leaf(g, "uuid"))})`);
  return {
    busId: parseText(leaf(g, "@_id")),
    uuid,
    name: parseText(leaf(g, "product_name")),
    minorNumber: parseId(leaf(g, "minor_number")),
    migEnabled: parseEnabled(leaf(g, "mig_mode", "current_mig")),
    utilizationPct: parseMeasure(leaf(g, "utilization", "gpu_util"), "%"),
    memoryUsedMib: parseMeasure(leaf(g, "fb_memory_usage", "used"), "MiB"),
    memoryTotalMib: parseMeasure(leaf(g, "fb_memory_usage", "total"), "MiB"),
    migDevices: list(g, "mig_devices", "mig_device").map(parseMigDevice),
    processes: list(g, "processes", "process_info").map((p) => parseProcess(p, uuid)),
  };
}

/**
 * Parses `nvidia-smi -q -x` output. Empty, truncated or malformed XML, non-UTF-8 bytes, a missing
 * `<nvidia_smi_log>` root, a GPU without a UUID or more `<gpu>` elements than `<attached_gpus>`:
 * TransientError (source "nvidia_smi"). Fewer `<gpu>` elements than attached is what a GPU that fell
 * off the bus looks like: the GPUs read are returned, with the rest counted in `missingGpus`, so one
 * lost GPU does not blind ds01 to all the others.
 */
export function parseNvidiaSmiXml(output: Buffer | Uint8Array | string): XmlReport {
  const text = decodeUtf8(output, "nvidia-smi -q -x");
  if (text.trim() === "") fail("empty output");
  const valid = XMLValidator.validate(text);
  if (valid !== true) fail(`malformed XML at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`);
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (e) {
    fail(`malformed XML: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const root = isNode(doc) ? doc["nvidia_smi_log"] : undefined;
  if (root === undefined) fail("no <nvidia_smi_log> root element");
  const gpuNodes = isNode(root) && Array.isArray(root["gpu"]) ? (root["gpu"] as unknown[]) : [];
  const attached = parseId(leaf(root, "attached_gpus"));
  if (attached !== null && attached < gpuNodes.length) {
    fail(`<attached_gpus> says ${attached} but the output holds ${gpuNodes.length} <gpu> elements`);
  }
  return {
    driverVersion: parseText(leaf(root, "driver_version")),
    gpus: gpuNodes.map((g, i) => parseGpu(g, i)),
    missingGpus: attached === null ? 0 : attached - gpuNodes.length,
  };
}

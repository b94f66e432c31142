// `nvidia-smi -L` → GPUs and their MIG devices (the only place that prints MIG profiles and UUIDs).
import { TransientError } from "../errors.js";
import { NVIDIA_SMI_SOURCE, decodeUtf8 } from "./decode.js";

export interface ListedMigDevice {
  /** "Device N" on the line. */
  deviceIndex: number;
  profile: string | null;
  uuid: string;
  /** Only the legacy form `MIG-GPU-<uuid>/<gi>/<ci>` carries these; null for `MIG-<uuid>`. */
  gpuInstanceId: number | null;
  computeInstanceId: number | null;
}

export interface ListedGpu {
  index: number;
  name: string | null;
  uuid: string;
  migDevices: ListedMigDevice[];
}

const GPU_LINE = /^GPU\s+(\d+):\s*(.*?)\s*\(UUID:\s*(GPU-[0-9A-Za-z-]+)\)\s*$/;
const MIG_LINE = /^\s+MIG\s+(?:(\S+)\s+)?Device\s+(\d+):\s*\(UUID:\s*(MIG-[^\s)]+)\)\s*$/;
const LEGACY_MIG_UUID = /^MIG-GPU-[0-9A-Za-z-]+\/(\d+)\/(\d+)$/;
const MODERN_MIG_UUID = /^MIG-[0-9A-Za-z-]+$/;
/** What nvidia-smi prints (and exits non-zero with) on a machine with a driver and no GPU. */
export const NO_DEVICES = /^No devices (were )?found\.?$/i;

function fail(message: string): never {
  throw new TransientError(`nvidia-smi -L: ${message}`, NVIDIA_SMI_SOURCE);
}

/** Splits a MIG UUID into its GI/CI when it has the legacy form; null ids for the modern form. */
export function parseMigUuid(uuid: string): { gpuInstanceId: number | null; computeInstanceId: number | null } | null {
  const legacy = LEGACY_MIG_UUID.exec(uuid);
  if (legacy) return { gpuInstanceId: Number(legacy[1]), computeInstanceId: Number(legacy[2]) };
  return MODERN_MIG_UUID.test(uuid) ? { gpuInstanceId: null, computeInstanceId: null } : null;
}

/**
 * Parses `nvidia-smi -L`. Accepts both MIG UUID forms. Output not ending in a newline (truncated),
 * a line that is neither a GPU line nor an indented MIG line, a MIG line before any GPU, non-UTF-8 bytes or an empty answer: TransientError.
 * "No devices were found" is a valid answer: no GPUs.
 */
export function parseNvidiaSmiList(output: Buffer | Uint8Array | string): ListedGpu[] {
  const text = decodeUtf8(output, "nvidia-smi -L");
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) fail("empty output");
  if (lines.length === 1 && NO_DEVICES.test(lines[0]!.trim())) return [];
  if (!text.endsWith("\n")) fail("output ends mid-line (truncated)");
  const gpus: ListedGpu[] = [];
  for (const [n, line] of lines.entries()) {
    const g = GPU_LINE.exec(line);
    if (g) {
      gpus.push({ index: Number(g[1]), name: g[2] === "" ? null : g[2]!, uuid: g[3]!, migDevices: [] });
      continue;
    }
    const m = MIG_LINE.exec(line);
    if (m) {
      const parent = gpus.at(-1);
      if (!parent) fail(`line ${n + 1}: MIG device before any GPU`);
      const ids = parseMigUuid(m[3]!);
      if (!ids) fail(`line ${n + 1}: unrecognised MIG UUID ${JSON.stringify(m[3])}`);
      parent.migDevices.push({ deviceIndex: Number(m[2]), profile: m[1] ?? null, uuid: m[3]!, ...ids });
      continue;
    }
    fail(`line ${n + 1} is not a GPU or MIG line: ${JSON.stringify(line.slice(0, 120))}`);
  }
  return gpus;
}

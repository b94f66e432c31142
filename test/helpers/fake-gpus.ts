// Test helpers for the nvidia-smi stand-in (test/stand-in/README.md documents the state schema).
import { mkdtemp, readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const STAND_IN_NVIDIA_SMI = fileURLToPath(new URL("../stand-in/nvidia-smi", import.meta.url));

export type FakeMode = "xml" | "query" | "list" | "reset";

export interface FakeMigDevice {
  profile: string;
  gi: number;
  ci?: number;
  uuid: string;
  memory_used_mib?: number | null;
  memory_total_mib?: number | null;
  index?: number;
}

export interface FakeProcess {
  pid: number;
  name?: string;
  used_memory_mib?: number | null;
  gi?: number | null;
  ci?: number | null;
  type?: string;
}

export interface FakeGpu {
  index?: number;
  uuid: string;
  name?: string;
  bus_id?: string;
  minor_number?: number;
  util?: number | null;
  memory_used_mib?: number | null;
  memory_total_mib?: number | null;
  mig_mode?: "Enabled" | "Disabled" | "N/A";
  mig_devices?: FakeMigDevice[];
  processes?: FakeProcess[];
}

export interface FakeGpuState {
  driver_version?: string;
  cuda_version?: string;
  gpus: FakeGpu[];
  hang_ms?: number;
  hang_modes?: FakeMode[];
  fail?: boolean | FakeMode[];
  fail_exit_code?: number;
  fail_message?: string;
  garbage?: boolean | FakeMode[];
  truncate?: boolean | FakeMode[];
  reset_fail?: boolean;
  /** `<attached_gpus>` when it should disagree with the GPUs listed (a GPU that fell off the bus). */
  attached_gpus?: number;
  /** Leave out processes whose PID is gone from /proc (as the driver does). */
  drop_dead_processes?: boolean;
  record_calls?: boolean;
  resets?: { uuid: string; at: string }[];
  reset_attempts?: { uuid: string; at: string }[];
}

export interface FakeGpus {
  /** Env for the probe/CLI: DS01_NVIDIA_SMI (the stand-in) and DS01_FAKE_NVIDIA_SMI_STATE. */
  env: Record<string, string>;
  path: string;
  read(): Promise<FakeGpuState>;
  /** Rewrites the state atomically: `fn` gets the current state and returns (or edits) the next. */
  update(fn: (s: FakeGpuState) => FakeGpuState | void): Promise<FakeGpuState>;
  /** The invocations seen so far (needs `record_calls: true`). */
  calls(): Promise<string[][]>;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2));
  await rename(tmp, path);
}

/** Writes a state file in a fresh temp dir and returns the env that points ds01 at the stand-in. */
export async function writeFakeGpuState(state: FakeGpuState): Promise<FakeGpus> {
  const dir = await mkdtemp(join(tmpdir(), "ds01-fake-gpus-"));
  const path = join(dir, "nvidia-smi-state.json");
  await writeJson(path, state);
  const read = async () => JSON.parse(await readFile(path, "utf8")) as FakeGpuState;
  return {
    env: { DS01_NVIDIA_SMI: STAND_IN_NVIDIA_SMI, DS01_FAKE_NVIDIA_SMI_STATE: path },
    path,
    read,
    async update(fn) {
      const current = await read();
      const next = fn(current) ?? current;
      await writeJson(path, next);
      return next;
    },
    async calls() {
      const text = await readFile(`${path}.calls`, "utf8").catch(() => "");
      return text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]);
    },
  };
}

/** A deterministic GPU UUID: gpuUuid(3) → GPU-00000000-0000-4000-8000-000000000003. */
export function gpuUuid(n: number, prefix = "00000000"): string {
  return `GPU-${prefix}-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/** A deterministic modern MIG UUID for device `d` of GPU `g`. */
export function migUuid(g: number, d: number): string {
  return `MIG-${String(g).padStart(8, "0")}-0000-4000-9000-${String(d).padStart(12, "0")}`;
}

/** `n` full GPUs (MIG disabled), idle, with no processes. */
export function fullGpus(n = 4, over: Partial<FakeGpu> = {}): FakeGpu[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    uuid: gpuUuid(i),
    name: "NVIDIA A100-SXM4-80GB",
    util: 0,
    memory_used_mib: 0,
    memory_total_mib: 81920,
    mig_mode: "Disabled" as const,
    mig_devices: [],
    processes: [],
    ...over,
  }));
}

/** One H100 in MIG mode with `count` x 1g.10gb devices (GI 7..13 as the driver numbers them). */
export function h100Mig1g(count = 7, gpuIndex = 0): FakeGpu {
  return {
    index: gpuIndex,
    uuid: gpuUuid(gpuIndex, "11111111"),
    name: "NVIDIA H100 80GB HBM3",
    util: null, // whole-GPU utilisation is N/A in MIG mode
    memory_used_mib: 59,
    memory_total_mib: 81559,
    mig_mode: "Enabled",
    mig_devices: Array.from({ length: count }, (_, d) => ({
      index: d,
      profile: "1g.10gb",
      gi: 7 + d,
      ci: 0,
      uuid: migUuid(gpuIndex, d),
      memory_used_mib: 9,
      memory_total_mib: 9984,
    })),
    processes: [],
  };
}

/** The MIG layout of h100-mig-driver590.capture.txt: 3g.40gb, 2g.20gb, 1g.10gb, 1g.10gb (GI 2, 3, 9, 10). */
export function h100MigMixed(gpuIndex = 0): FakeGpu {
  const layout: [string, number, number][] = [
    ["3g.40gb", 2, 40448],
    ["2g.20gb", 3, 20096],
    ["1g.10gb", 9, 9984],
    ["1g.10gb", 10, 9984],
  ];
  return {
    ...h100Mig1g(0, gpuIndex),
    mig_devices: layout.map(([profile, gi, total], d) => ({ index: d, profile, gi, ci: 0, uuid: migUuid(gpuIndex, d), memory_used_mib: 9, memory_total_mib: total })),
  };
}

/** A GPU in MIG mode with no MIG devices (unusable). */
export function migWithoutDevices(gpuIndex = 0): FakeGpu {
  return { ...h100Mig1g(0, gpuIndex), mig_devices: [] };
}

import { describe, expect, it } from "vitest";
import type { ObservedContainer } from "../model/container.js";
import type { GpuInventory } from "../model/gpu.js";
import { health } from "../daemon/health.js";
import { buildGpus } from "../gpu/build-inventory.js";
import { gpuListJson } from "../gpu/inventory-json.js";
import { parseNvidiaSmiXml } from "../gpu/parse-xml.js";
import { holdsUnreadGpu } from "./idle-signals.js";

const base = { now: 0, startedAt: 0, passIntervalMs: 1000, dockerError: null, eventStreamError: null, gpuError: null, lastSuccessfulPassAt: 0, passRunningSince: null, configWarning: null };

describe("a GPU missing from nvidia-smi's output", () => {
  it("/healthz stays ok with a warning naming how many", () => {
    const h = health({ ...base, gpusMissing: 2 });
    expect(h.status).toBe("ok");
    expect(h.warnings).toEqual([expect.stringContaining("2 attached GPUs are missing from nvidia-smi's output")]);
    expect(health(base).warnings).toEqual([]);
  });

  it("nvidia-smi -L still naming the lost GPU does not throw the others away", () => {
    const xml = `<?xml version="1.0" ?><nvidia_smi_log><attached_gpus>2</attached_gpus><gpu id="00000000:01:00.0"><uuid>GPU-aaaa</uuid></gpu></nvidia_smi_log>`;
    const gpus = buildGpus(parseNvidiaSmiXml(xml), [
      { index: 0, uuid: "GPU-aaaa", name: "A", migDevices: [] },
      { index: 1, uuid: "GPU-bbbb", name: "A", migDevices: [] },
    ] as never);
    expect(gpus.map((g) => g.uuid)).toEqual(["GPU-aaaa"]);
  });

  it("gpu list --json names how many are missing, only when some are", () => {
    expect(gpuListJson({ gpus: [], error: null, missingGpus: 1 })).toEqual({ gpus: [], missing_gpus: 1 });
    expect(gpuListJson({ gpus: [], error: null })).toEqual({ gpus: [] });
  });

  it("a container holding an unread GPU is never judged idle", () => {
    const inv = { gpus: [], error: null, missingGpus: 1 } as unknown as GpuInventory;
    const c = { identity: { gpus: ["GPU-bbbb"] } } as unknown as ObservedContainer;
    expect(holdsUnreadGpu(c, inv)).toBe(true);
    expect(holdsUnreadGpu(c, { ...inv, missingGpus: 0 })).toBe(false);
  });
});

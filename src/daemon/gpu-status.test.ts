import { beforeAll, describe, expect, it } from "vitest";
import { container, gpu, gpuUuid, inventory } from "../../test/helpers/fleet.js";
import { bundledConfigDir } from "../config/locate-config-dir.js";
import { loadConfig } from "../config/load-config.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { NvidiaSmiNotFoundError } from "../gpu/nvidia-smi-probe.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { ObservedContainer } from "../model/container.js";
import type { Notice } from "../model/notice.js";
import type { Logger } from "../util/log.js";
import { GpuStatus } from "./gpu-status.js";
import { StoreHealth } from "./store-health.js";

const T0 = 1_800_000_000_000;
let bundled: LoadedConfig;
beforeAll(async () => {
  bundled = await loadConfig(bundledConfigDir());
});

function setup(opts: { expected?: boolean | "auto"; containers?: ObservedContainer[]; storeFails?: boolean } = {}) {
  const config: LoadedConfig = { ...bundled, gpu: { ...bundled.gpu, expected: opts.expected ?? "auto" } };
  const warnings: string[] = [];
  const log: Logger = { debug: () => {}, info: () => {}, warn: (_f, msg) => void warnings.push(msg), error: () => {} };
  const probeErrors: string[] = [];
  const missingGauge: number[] = [];
  const audit: AuditEvent[] = [];
  const notices: Notice[] = [];
  const storeHealth = new StoreHealth({ count: () => {}, log });
  const gpus = new GpuStatus({
    log,
    metrics: { probeError: (s) => void probeErrors.push(s), gpusMissing: (n) => void missingGauge.push(n) },
    fleet: { containers: () => opts.containers ?? [] },
    storeHealth,
    store: {
      append: (e) => {
        if (opts.storeFails) throw new Error("database or disk is full");
        audit.push(e);
      },
    },
    config: () => config,
    notifier: () => ({ notify: async (n) => (notices.push(n), []) }),
  });
  return { gpus, warnings, probeErrors, missingGauge, audit, notices, storeHealth };
}

const notFound = () => new NvidiaSmiNotFoundError("nvidia-smi", new Error("ENOENT"));
const notFoundInventory = { gpus: [], error: "nvidia-smi not found (nvidia-smi)", errorKind: "not_found" as const };

describe("GpuStatus", () => {
  it("keeps the last good inventory and sample; a failing probe is an error, counted, until it answers", () => {
    const s = setup();
    s.gpus.observed(inventory([gpu(0)]), T0);
    s.gpus.sampled(new Map([[gpuUuid(0), 42]]));
    s.gpus.failed(new Error("nvidia-smi timed out after 10 s"), "sample");
    expect(s.gpus.error).toBe("nvidia-smi timed out after 10 s");
    expect(s.probeErrors).toEqual(["nvidia_smi"]);
    expect(s.warnings).toEqual(["gpu probe failed"]);
    s.gpus.observed({ gpus: [], error: "nvidia-smi printed garbage", errorKind: "failed" }, T0);
    expect(s.gpus.inventory?.gpus.map((g) => g.uuid)).toEqual([gpuUuid(0)]); // the last good one stays
    expect(s.gpus.utilisation.get(gpuUuid(0))).toBe(42);
    expect(s.probeErrors).toEqual(["nvidia_smi", "nvidia_smi"]);
    s.gpus.sampled(new Map([[gpuUuid(0), 7]]));
    expect(s.gpus.error).toBeNull();
    expect(s.gpus.utilisation.get(gpuUuid(0))).toBe(7);
  });

  it("no nvidia-smi on a host that expects no GPUs: logged once, no error", () => {
    const s = setup({ expected: false });
    s.gpus.failed(notFound(), "sample");
    s.gpus.observed(notFoundInventory, T0);
    expect(s.gpus.error).toBeNull();
    expect(s.probeErrors).toEqual([]);
    expect(s.warnings).toEqual(["nvidia-smi not found: GPU signals unknown"]);
  });

  it("no nvidia-smi where GPUs are expected (true, or auto with a GPU container): an error every time, logged once", () => {
    const s = setup({ expected: true });
    s.gpus.observed(notFoundInventory, T0);
    s.gpus.failed(notFound(), "sample");
    expect(s.gpus.error).toBe("GPUs are expected here but nvidia-smi not found (nvidia-smi)");
    expect(s.probeErrors).toEqual(["nvidia_smi", "nvidia_smi"]);
    expect(s.warnings).toEqual(["nvidia-smi not found: GPU signals unknown"]);
    const auto = setup({ expected: "auto", containers: [container({ gpus: [gpuUuid(0)] })] });
    auto.gpus.observed(notFoundInventory, T0);
    expect(auto.gpus.error).toMatch(/^GPUs are expected here but /);
    expect(setup({ expected: "auto", containers: [container()] }).gpus.error).toBeNull();
  });

  it("audits each change in missing GPUs once and alerts the admins when some are missing", () => {
    const s = setup();
    s.gpus.observed({ ...inventory([gpu(0)]), missingGpus: 1 }, T0);
    s.gpus.observed({ ...inventory([gpu(0)]), missingGpus: 1 }, T0 + 1);
    expect(s.audit).toEqual([{ time: T0, type: "gpu.alert", user: null, container: null, containerId: null, details: { reason: "gpus_missing", missing_gpus: 1, read_gpus: 1 } }]);
    expect(s.notices.map((n) => [n.audience, n.severity, n.title])).toEqual([["admin", "alert", "1 GPU missing"]]);
    expect(s.warnings).toEqual(["GPUs missing from nvidia-smi"]);
    s.gpus.observed(inventory([gpu(0), gpu(1)]), T0 + 2);
    expect(s.audit.map((e) => e.details)).toEqual([
      { reason: "gpus_missing", missing_gpus: 1, read_gpus: 1 },
      { reason: "gpus_missing", missing_gpus: 0, read_gpus: 2 },
    ]);
    expect(s.notices).toHaveLength(1); // all back: audited, nobody alerted
    expect(s.missingGauge).toEqual([1, 1, 0]);
  });

  it("a store that cannot take the missing-GPU record is a store failure; the alert still goes out", () => {
    const s = setup({ storeFails: true });
    s.gpus.observed({ ...inventory([]), missingGpus: 2 }, T0);
    expect(s.storeHealth.error).toBe("recording missing GPUs: database or disk is full");
    expect(s.gpus.error).toBeNull();
    expect(s.notices.map((n) => n.title)).toEqual(["2 GPUs missing"]);
  });
});

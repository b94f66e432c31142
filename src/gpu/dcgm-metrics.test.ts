import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TransientError } from "../errors.js";
import type { GpuInventory, MigDevice } from "../model/gpu.js";
import { applyDcgmActivity, dcgmActivity, parsePrometheusText } from "./dcgm-metrics.js";

const SAMPLE = readFileSync(new URL("../../test/fixtures/dcgm-exporter/sample-a100-mig.prom", import.meta.url), "utf8");
const MIG_GPU = "GPU-513536b6-0000-4063-b049-1e69664bb298";
const FULL_GPU = "GPU-9a1c2b3d-0000-4e5f-8a9b-0c1d2e3f4a5b";

describe("parsePrometheusText", () => {
  it("reads samples with labels, escapes and timestamps; skips comments", () => {
    const text = '# HELP x y\nx{a="1",b="q\\"uote\\\\"} 0.5 1700000000000\ny 3\n';
    expect(parsePrometheusText(text)).toEqual([
      { name: "x", labels: { a: "1", b: 'q"uote\\' }, value: 0.5 },
      { name: "y", labels: {}, value: 3 },
    ]);
  });

  it.each([
    ["HTML", "<html><body>502 Bad Gateway</body></html>"],
    ["JSON", '{"error": "x"}'],
    ["an unterminated label", 'x{a="1} 3'],
    ["a value that is not a number", "x{} abc"],
    ["no value", 'x{a="1"}'],
  ])("%s → TransientError (dcgm_exporter)", (_why, text) => {
    expect(() => parsePrometheusText(text)).toThrow(TransientError);
  });
});

describe("dcgmActivity on the fixture", () => {
  const a = dcgmActivity(SAMPLE);
  it("MIG instances: GR_ENGINE_ACTIVE ratio → percent, keyed by parent UUID and GPU_I_ID", () => {
    expect([...a.instances.entries()]).toEqual([
      [`${MIG_GPU}/1`, expect.closeTo(81.2345, 6)],
      [`${MIG_GPU}/5`, 0],
    ]);
  });
  it("full GPU: GR_ENGINE_ACTIVE (36.5 %) wins over DEV_GPU_UTIL (37 %)", () => {
    expect([...a.gpus.entries()]).toEqual([[FULL_GPU, expect.closeTo(36.5, 6)]]);
  });
  it("falls back to DEV_GPU_UTIL when the profiling metric is missing", () => {
    const only = SAMPLE.split("\n").filter((l) => !l.startsWith("DCGM_FI_PROF_GR_ENGINE_ACTIVE")).join("\n");
    const b = dcgmActivity(only);
    expect([...b.gpus.entries()]).toEqual([[FULL_GPU, 37]]);
    expect(b.instances.size).toBe(0); // missing is unknown, not 0
  });
  it("skips out-of-range and NaN values rather than clamping", () => {
    const b = dcgmActivity(`DCGM_FI_PROF_GR_ENGINE_ACTIVE{UUID="GPU-x"} 1.5\nDCGM_FI_PROF_GR_ENGINE_ACTIVE{UUID="GPU-y"} NaN\nDCGM_FI_DEV_GPU_UTIL{UUID="GPU-z"} -1\n`);
    expect(b.gpus.size).toBe(0);
  });
});

describe("applyDcgmActivity", () => {
  const mig = (gi: number | null): MigDevice => ({
    uuid: `MIG-${gi}`,
    parentUuid: MIG_GPU,
    deviceIndex: gi,
    gpuInstanceId: gi,
    computeInstanceId: 0,
    profile: "3g.40gb",
    gpuEquivalent: 3 / 7,
    memoryUsedMib: null,
    memoryTotalMib: null,
    utilizationPct: null,
  });
  const inv: GpuInventory = {
    error: null,
    gpus: [
      { index: 0, uuid: MIG_GPU, name: null, migEnabled: true, usable: true, utilizationPct: null, memoryUsedMib: null, memoryTotalMib: null, migDevices: [mig(1), mig(5), mig(9)], processes: [] },
      { index: 1, uuid: FULL_GPU, name: null, migEnabled: false, usable: true, utilizationPct: null, memoryUsedMib: null, memoryTotalMib: null, migDevices: [], processes: [] },
      { index: 2, uuid: "GPU-own", name: null, migEnabled: false, usable: true, utilizationPct: 12, memoryUsedMib: null, memoryTotalMib: null, migDevices: [], processes: [] },
    ],
  };

  it("fills MIG devices by (parent UUID, GI), a full GPU without nvidia-smi utilisation, nothing else", () => {
    const out = applyDcgmActivity(inv, dcgmActivity(SAMPLE + '\nDCGM_FI_DEV_GPU_UTIL{gpu="2",UUID="GPU-own"} 99\n'));
    expect(out.gpus[0]!.migDevices.map((d) => d.utilizationPct)).toEqual([expect.closeTo(81.2345, 6), 0, null]);
    expect(out.gpus[0]!.utilizationPct).toBeNull(); // MIG GPU: whole-GPU activity stays unknown
    expect(out.gpus[1]!.utilizationPct).toBeCloseTo(36.5, 6);
    expect(out.gpus[2]!.utilizationPct).toBe(12); // nvidia-smi's own value is kept
  });

  it("joins on the gpu index when a sample has no UUID label", () => {
    const out = applyDcgmActivity(inv, dcgmActivity('DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="0",GPU_I_ID="9"} 0.25\n'));
    expect(out.gpus[0]!.migDevices[2]!.utilizationPct).toBe(25);
  });
});

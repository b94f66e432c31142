// Every fact of test/fixtures/nvidia-smi/facts.md that ds01's model carries, one block per file.
import { describe, expect, it } from "vitest";
import { buildGpus } from "../../src/gpu/build-inventory.js";
import { parseNvidiaSmiList } from "../../src/gpu/parse-list.js";
import { parseQueryGpuCsv } from "../../src/gpu/parse-query-gpu.js";
import { parseNvidiaSmiXml } from "../../src/gpu/parse-xml.js";
import { captureSection, captureSections, fixtureBytes, parseQueryText } from "./capture-file.js";

describe("a5000-dual-driver590.xml (DTD v13, 2 GPUs, same PID on both)", () => {
  const xml = parseNvidiaSmiXml(fixtureBytes("a5000-dual-driver590.xml"));
  const gpus = buildGpus(xml, null);

  it("has 2 GPUs in document order, not minor_number order", () => {
    expect(xml.driverVersion).toBe("590.44.01");
    expect(xml.gpus.map((g) => [g.busId, g.minorNumber])).toEqual([
      ["00000000:81:00.0", 1],
      ["00000000:C1:00.0", 0],
    ]);
    expect(gpus.map((g) => [g.index, g.uuid])).toEqual([
      [0, "GPU-12345678-aaaa-bbbb-cccc-0123456789ab"],
      [1, "GPU-12345678-aaaa-bbbb-cccc-0123456789cd"],
    ]);
  });

  it("GPU 0: RTX A5000, MIG N/A, 0 MIG devices, fb 24564/22437, util 0 %, llama-server 22430 MiB", () => {
    expect(gpus[0]).toEqual({
      index: 0,
      uuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
      name: "NVIDIA RTX A5000",
      migEnabled: null,
      usable: true,
      utilizationPct: 0,
      memoryUsedMib: 22437,
      memoryTotalMib: 24564,
      migDevices: [],
      processes: [
        {
          pid: 100477,
          name: "/root/src/llama.cpp/build/bin/llama-server",
          usedMemoryMib: 22430,
          gpuUuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
          migUuid: null,
          gpuInstanceId: null,
          computeInstanceId: null,
          containerId: null,
          notOnHost: false,
        },
      ],
    });
  });

  it("GPU 1: fb 24564/17253, util 0 %, the same PID with 17246 MiB (not de-duplicated)", () => {
    const g = gpus[1]!;
    expect([g.name, g.migEnabled, g.migDevices.length, g.memoryTotalMib, g.memoryUsedMib, g.utilizationPct]).toEqual([
      "NVIDIA RTX A5000",
      null,
      0,
      24564,
      17253,
      0,
    ]);
    expect(g.processes.map((p) => [p.pid, p.usedMemoryMib, p.gpuInstanceId, p.computeInstanceId, p.gpuUuid])).toEqual([
      [100477, 17246, null, null, "GPU-12345678-aaaa-bbbb-cccc-0123456789cd"],
    ]);
  });
});

describe("rtx3090-v13.xml (1 idle GPU, empty <processes>)", () => {
  const gpus = buildGpus(parseNvidiaSmiXml(fixtureBytes("rtx3090-v13.xml")), null);
  it("reports the GPU with fb 24576/7, util 0 %, MIG N/A, no processes", () => {
    expect(gpus).toEqual([
      {
        index: 0,
        uuid: "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
        name: "NVIDIA GeForce RTX 3090",
        migEnabled: null,
        usable: true,
        utilizationPct: 0,
        memoryUsedMib: 7,
        memoryTotalMib: 24576,
        migDevices: [],
        processes: [],
      },
    ]);
  });
});

describe("a100-40gb-mig-driver510.xml (DTD v11, MIG enabled, 2 devices, util N/A)", () => {
  const xml = parseNvidiaSmiXml(fixtureBytes("a100-40gb-mig-driver510.xml"));
  const gpus = buildGpus(xml, null);
  const uuid = "GPU-27b94a00-ed54-5c24-b1fd-1054085de32a";

  it("reads the GPU: MIG Enabled, fb 40960/38, every utilization N/A → null (never 0)", () => {
    expect(xml.driverVersion).toBe("510.47.03");
    const g = gpus[0]!;
    expect([gpus.length, g.uuid, g.name, g.migEnabled, g.usable, g.memoryTotalMib, g.memoryUsedMib, g.utilizationPct]).toEqual([
      1,
      uuid,
      "NVIDIA A100-SXM4-40GB",
      true,
      true,
      40960,
      38,
      null,
    ]);
    expect(g.processes).toEqual([]);
  });

  it("reads both MIG devices: GI 1 and 2, CI 0, fb 19968/19; no profile or UUID in the file", () => {
    expect(xml.gpus[0]!.migDevices).toEqual([
      { index: 0, gpuInstanceId: 1, computeInstanceId: 0, memoryUsedMib: 19, memoryTotalMib: 19968 },
      { index: 1, gpuInstanceId: 2, computeInstanceId: 0, memoryUsedMib: 19, memoryTotalMib: 19968 },
    ]);
    expect(gpus[0]!.migDevices).toEqual([
      expect.objectContaining({ uuid: `MIG-${uuid}/1/0`, deviceIndex: 0, gpuInstanceId: 1, computeInstanceId: 0, profile: null, gpuEquivalent: null, utilizationPct: null }),
      expect.objectContaining({ uuid: `MIG-${uuid}/2/0`, deviceIndex: 1, gpuInstanceId: 2, computeInstanceId: 0, profile: null, gpuEquivalent: null }),
    ]);
  });

  it("joins -L in the legacy UUID form on GI/CI and gets the profile", () => {
    const list = parseNvidiaSmiList(
      `GPU 0: NVIDIA A100-SXM4-40GB (UUID: ${uuid})\n  MIG 3g.20gb Device 0: (UUID: MIG-${uuid}/2/0)\n  MIG 3g.20gb Device 1: (UUID: MIG-${uuid}/1/0)\n`,
    );
    const devices = buildGpus(xml, list)[0]!.migDevices;
    expect(devices.map((d) => [d.uuid, d.gpuInstanceId, d.profile, d.gpuEquivalent])).toEqual([
      [`MIG-${uuid}/2/0`, 2, "3g.20gb", 3 / 7],
      [`MIG-${uuid}/1/0`, 1, "3g.20gb", 3 / 7],
    ]);
  });
});

describe("h100-mig-driver590.capture.txt (MIG enabled, 4 devices, idle and load)", () => {
  const text = fixtureBytes("h100-mig-driver590.capture.txt").toString("utf8");
  const list = parseNvidiaSmiList(captureSection(text, "capabilities", "list (-L)").body);
  const model = (state: string) => buildGpus(parseQueryText(captureSection(text, state, "query (-q)").body), list);
  const csv = (state: string) => parseQueryGpuCsv(captureSection(text, state, "query-gpu (csv").body);
  const MIG = [0, 1, 2, 3].map((n) => `MIG-0000000${n}-0000-0000-0000-00000000000${n}`);

  it("splits sections on the banner only (pmon/dmon headers start with # too)", () => {
    const sections = captureSections(text);
    expect(sections.find((s) => s.name.startsWith("pmon") && s.state === "load")!.body).toContain("# gpu ");
    expect(sections.filter((s) => s.name.startsWith("query (-q)")).map((s) => s.state)).toEqual(["idle", "load"]);
  });

  it("-L: 1 GPU with 4 MIG devices, profiles and UUIDs", () => {
    expect(list).toEqual([
      {
        index: 0,
        name: "NVIDIA H100 80GB HBM3",
        uuid: "GPU-00000000-0000-0000-0000-000000000000",
        migDevices: [
          { deviceIndex: 0, profile: "3g.40gb", uuid: MIG[0], gpuInstanceId: null, computeInstanceId: null },
          { deviceIndex: 1, profile: "2g.20gb", uuid: MIG[1], gpuInstanceId: null, computeInstanceId: null },
          { deviceIndex: 2, profile: "1g.10gb", uuid: MIG[2], gpuInstanceId: null, computeInstanceId: null },
          { deviceIndex: 3, profile: "1g.10gb", uuid: MIG[3], gpuInstanceId: null, computeInstanceId: null },
        ],
      },
    ]);
  });

  it.each([
    ["idle", [26, 17, 9, 9], 59],
    ["load", [11091, 17, 9, 9], 11125],
  ] as const)("%s: devices joined on index with GI/CI, memory and weights; GPU util N/A → null", (state, used, gpuUsed) => {
    const [g] = model(state);
    expect([g!.migEnabled, g!.usable, g!.utilizationPct, g!.memoryTotalMib, g!.memoryUsedMib]).toEqual([true, true, null, 81559, gpuUsed]);
    expect(g!.migDevices.map((d) => [d.deviceIndex, d.profile, d.uuid, d.gpuInstanceId, d.computeInstanceId, d.memoryTotalMib, d.memoryUsedMib, d.gpuEquivalent])).toEqual([
      [0, "3g.40gb", MIG[0], 2, 0, 40448, used[0], 3 / 7],
      [1, "2g.20gb", MIG[1], 3, 0, 20096, used[1], 2 / 7],
      [2, "1g.10gb", MIG[2], 9, 0, 9984, used[2], 1 / 7],
      [3, "1g.10gb", MIG[3], 10, 0, 9984, used[3], 1 / 7],
    ]);
  });

  it("idle: no processes; load: 3 processes on GI 2 / CI 0, i.e. MIG dev 0", () => {
    expect(model("idle")[0]!.processes).toEqual([]);
    expect(model("load")[0]!.processes.map((p) => [p.pid, p.name, p.usedMemoryMib, p.gpuInstanceId, p.computeInstanceId, p.migUuid])).toEqual([
      [21180, "/root/tools/memhog", 2296, 2, 0, MIG[0]],
      [21181, "/root/tools/memhog", 1272, 2, 0, MIG[0]],
      [21198, "./gpu_burn", 7484, 2, 0, MIG[0]],
    ]);
  });

  it.each([
    ["idle", 59],
    ["load", 11125],
  ] as const)("query-gpu CSV (%s, header + units): util [N/A] → null, memory %d / 81559", (state, used) => {
    expect(csv(state)).toEqual([{ index: 0, uuid: "GPU-00000000-0000-0000-0000-000000000000", utilizationPct: null, memoryUsedMib: used, memoryTotalMib: 81559 }]);
  });
});

describe("h100-driver590.capture.txt (MIG disabled, idle 0 % and load 100 %)", () => {
  const text = fixtureBytes("h100-driver590.capture.txt").toString("utf8");
  const list = parseNvidiaSmiList(captureSection(text, "capabilities", "list (-L)").body);
  const model = (state: string) => buildGpus(parseQueryText(captureSection(text, state, "query (-q)").body), list);
  const csv = (state: string) => parseQueryGpuCsv(captureSection(text, state, "query-gpu (csv").body);

  it("-L: 1 GPU, no MIG devices", () => {
    expect(list).toEqual([{ index: 0, name: "NVIDIA H100 80GB HBM3", uuid: "GPU-00000000-0000-0000-0000-000000000000", migDevices: [] }]);
  });

  it.each([
    ["idle", 0, 0],
    ["load", 100, 19818],
  ] as const)("%s: util %d %, memory %d / 81559, MIG disabled", (state, util, used) => {
    const [g] = model(state);
    expect([g!.migEnabled, g!.usable, g!.migDevices, g!.utilizationPct, g!.memoryUsedMib, g!.memoryTotalMib]).toEqual([false, true, [], util, used, 81559]);
    expect(csv(state)).toEqual([{ index: 0, uuid: "GPU-00000000-0000-0000-0000-000000000000", utilizationPct: util, memoryUsedMib: used, memoryTotalMib: 81559 }]);
  });

  it("load: 3 processes with GI/CI N/A → null, on no MIG device", () => {
    expect(model("idle")[0]!.processes).toEqual([]);
    expect(model("load")[0]!.processes.map((p) => [p.pid, p.name, p.usedMemoryMib, p.gpuInstanceId, p.computeInstanceId, p.migUuid])).toEqual([
      [11327, "/root/tools/memhog", 2566, null, null, null],
      [11328, "/root/tools/memhog", 1542, null, null, null],
      [11345, "./gpu_burn", 15690, null, null, null],
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { TransientError } from "../errors.js";
import { buildGpus } from "./build-inventory.js";
import type { ListedGpu } from "./parse-list.js";
import type { XmlGpu, XmlReport } from "./parse-xml.js";

const xmlGpu = (over: Partial<XmlGpu> = {}): XmlGpu => ({
  busId: null,
  uuid: "GPU-a",
  name: "NVIDIA H100 80GB HBM3",
  minorNumber: 0,
  migEnabled: true,
  utilizationPct: null,
  memoryUsedMib: 10,
  memoryTotalMib: 81559,
  migDevices: [],
  processes: [],
  ...over,
});
const report = (...gpus: XmlGpu[]): XmlReport => ({ driverVersion: "590", gpus });
const listed = (uuid: string, migs: [number, string, string][] = [], index = 0): ListedGpu => ({
  index,
  name: "NVIDIA H100 80GB HBM3",
  uuid,
  migDevices: migs.map(([deviceIndex, profile, u]) => ({ deviceIndex, profile, uuid: u, gpuInstanceId: null, computeInstanceId: null })),
});

describe("buildGpus", () => {
  it("marks a MIG-enabled GPU without MIG devices unusable, and keeps it in the list", () => {
    const [g] = buildGpus(report(xmlGpu()), [listed("GPU-a")]);
    expect([g!.migEnabled, g!.usable, g!.migDevices]).toEqual([true, false, []]);
  });

  it.each([false, null])("a GPU with MIG %j and no devices is usable", (mig) => {
    expect(buildGpus(report(xmlGpu({ migEnabled: mig })), [listed("GPU-a")])[0]!.usable).toBe(true);
  });

  it("attaches processes to the MIG device with the same GI and CI; others stay on the GPU only", () => {
    const gpus = buildGpus(
      report(
        xmlGpu({
          migDevices: [
            { index: 0, gpuInstanceId: 7, computeInstanceId: 0, memoryUsedMib: 1, memoryTotalMib: 9984 },
            { index: 1, gpuInstanceId: 8, computeInstanceId: 0, memoryUsedMib: 2, memoryTotalMib: 9984 },
          ],
          processes: [
            { pid: 10, name: "a", usedMemoryMib: 5, gpuInstanceId: 8, computeInstanceId: 0 },
            { pid: 11, name: "b", usedMemoryMib: 5, gpuInstanceId: 8, computeInstanceId: 1 },
            { pid: 12, name: "c", usedMemoryMib: 5, gpuInstanceId: null, computeInstanceId: null },
          ],
        }),
      ),
      [listed("GPU-a", [[0, "1g.10gb", "MIG-0"], [1, "1g.10gb", "MIG-1"]])],
    );
    expect(gpus[0]!.processes.map((p) => [p.pid, p.gpuUuid, p.migUuid])).toEqual([
      [10, "GPU-a", "MIG-1"],
      [11, "GPU-a", null],
      [12, "GPU-a", null],
    ]);
    expect(gpus[0]!.migDevices.map((d) => [d.uuid, d.gpuInstanceId, d.memoryUsedMib, d.gpuEquivalent])).toEqual([
      ["MIG-0", 7, 1, 1 / 7],
      ["MIG-1", 8, 2, 1 / 7],
    ]);
  });

  it("uses the GPU's slice count for weights (A30: 4 slices)", () => {
    const gpus = buildGpus(
      report(xmlGpu({ name: "NVIDIA A30", migDevices: [{ index: 0, gpuInstanceId: 1, computeInstanceId: 0, memoryUsedMib: 0, memoryTotalMib: 11968 }] })),
      [{ ...listed("GPU-a", [[0, "2g.12gb", "MIG-0"]]), name: "NVIDIA A30" }],
    );
    expect(gpus[0]!.migDevices[0]!.gpuEquivalent).toBe(2 / 4);
  });

  it("keeps a device -L lists but the XML lacks, with unknown ids and memory", () => {
    const gpus = buildGpus(report(xmlGpu()), [listed("GPU-a", [[0, "7g.80gb", "MIG-0"]])]);
    expect(gpus[0]!.migDevices).toEqual([
      expect.objectContaining({ uuid: "MIG-0", gpuInstanceId: null, memoryUsedMib: null, gpuEquivalent: 1, utilizationPct: null }),
    ]);
    expect(gpus[0]!.usable).toBe(true);
  });

  it("takes the index from -L and orders by the XML", () => {
    const gpus = buildGpus(report(xmlGpu({ uuid: "GPU-b", migEnabled: false }), xmlGpu({ uuid: "GPU-a", migEnabled: false })), [listed("GPU-a", [], 0), listed("GPU-b", [], 1)]);
    expect(gpus.map((g) => [g.uuid, g.index])).toEqual([
      ["GPU-b", 1],
      ["GPU-a", 0],
    ]);
  });

  it("-q -x and -L naming different GPUs (hot-plug between the calls) → TransientError", () => {
    expect(() => buildGpus(report(xmlGpu()), [listed("GPU-other")])).toThrow(TransientError);
    expect(() => buildGpus(report(xmlGpu()), [])).toThrow(TransientError);
  });
});

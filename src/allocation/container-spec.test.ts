import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../errors.js";
import { buildContainerSpec, parseDockerSize } from "./container-spec.js";
import { slotTable } from "./slots.js";
import { gpu, migGpu, limits, gpuUuid, migUuid } from "../../test/helpers/fleet.js";

describe("parseDockerSize", () => {
  it.each([
    ["32g", 32 * 1024 ** 3],
    ["512m", 512 * 1024 ** 2],
    ["96G", 96 * 1024 ** 3],
    ["1.5g", 1.5 * 1024 ** 3],
    ["64GiB", 64 * 1024 ** 3],
    ["1024", 1024],
    ["2kb", 2048],
    ["lots", null],
    ["", null],
  ])("%s → %s", (text, want) => {
    expect(parseDockerSize(text)).toBe(want);
  });
});

describe("buildContainerSpec", () => {
  const slots = slotTable([gpu(0), migGpu(1, ["1g.10gb"])]).slots;
  const base = {
    user: "alice",
    name: "job",
    image: "img:1",
    cmd: ["sleep", "1"],
    limits: limits({ max_cpus: 4, memory: "32g", memory_swap: "64g", shm_size: "16g", pids_limit: 4096 }),
    slots: [slots[0]!],
    allocatedAt: Date.parse("2026-01-02T03:04:05Z"),
    createdAt: Date.parse("2026-01-02T03:04:06Z"),
  };

  it("names the container <name>._.<user> and applies every limit", () => {
    const spec = buildContainerSpec(base);
    expect(spec.name).toBe("job._.alice");
    expect(spec.body.HostConfig).toEqual({
      NanoCpus: 4e9,
      Memory: 32 * 1024 ** 3,
      MemorySwap: 64 * 1024 ** 3,
      ShmSize: 16 * 1024 ** 3,
      PidsLimit: 4096,
      DeviceRequests: [{ Driver: "nvidia", Count: 0, DeviceIDs: [gpuUuid(0)], Capabilities: [["gpu"]] }],
    });
    expect(spec.body.Cmd).toEqual(["sleep", "1"]);
  });

  it("labels a single GPU with ds01.gpu.uuid, several with ds01.gpu.uuids", () => {
    expect(buildContainerSpec(base).body.Labels).toEqual({
      "ds01.user": "alice",
      "ds01.managed": "true",
      "ds01.container_type": "atomic",
      "ds01.interface": "atomic",
      "ds01.created_at": "2026-01-02T03:04:06.000Z",
      "ds01.gpu.uuid": gpuUuid(0),
      "ds01.gpu.allocated": "0",
      "ds01.gpu.allocated_at": "2026-01-02T03:04:05.000Z",
    });
    const multi = buildContainerSpec({ ...base, slots }).body.Labels;
    expect(multi["ds01.gpu.uuids"]).toBe(`${gpuUuid(0)},${migUuid(1, 0)}`);
    expect(multi["ds01.gpu.allocated"]).toBe("0,1.0");
    expect(multi["ds01.gpu.uuid"]).toBeUndefined();
  });

  it("no GPU: no DeviceRequest and no GPU labels; null limits are left out", () => {
    const spec = buildContainerSpec({ ...base, slots: [], limits: limits(), cmd: [] });
    expect(spec.body.HostConfig).toEqual({});
    expect(spec.body.Labels["ds01.gpu.allocated"]).toBeUndefined();
    expect(spec.body.Cmd).toBeUndefined();
  });

  it("a swap limit below memory becomes memory (Docker refuses less)", () => {
    const spec = buildContainerSpec({ ...base, limits: limits({ memory: "8g", memory_swap: "4g" }) });
    expect(spec.body.HostConfig.MemorySwap).toBe(8 * 1024 ** 3);
  });

  it("refuses caller labels that ds01 owns (no owner spoofing)", () => {
    expect(() => buildContainerSpec({ ...base, extraLabels: { "ds01.user": "bob" } })).toThrow(InvalidInputError);
    expect(buildContainerSpec({ ...base, extraLabels: { "ds01.test.run": "x" } }).body.Labels["ds01.test.run"]).toBe("x");
  });
});

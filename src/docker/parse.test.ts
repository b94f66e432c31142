import { describe, expect, it } from "vitest";
import { eventSchema, inspectSchema, listEntrySchema, statsSchema } from "./engine-schema.js";
import { gpuDeviceRequests, parseDockerTime, toContainerEvent, toContainerInfo, toEngineStats } from "./parse.js";

describe("parseDockerTime", () => {
  it.each([
    ["2024-05-01T10:00:00Z", Date.UTC(2024, 4, 1, 10)],
    ["2024-05-01T10:00:00.123456789Z", Date.UTC(2024, 4, 1, 10, 0, 0, 123)],
    ["2024-05-01T10:00:00.5Z", Date.UTC(2024, 4, 1, 10, 0, 0, 500)],
    ["2024-05-01T12:00:00.987654321+02:00", Date.UTC(2024, 4, 1, 10, 0, 0, 987)],
    ["0001-01-01T00:00:00Z", null],
    ["", null],
    [null, null],
    ["yesterday", null],
    ["2024-05-01 10:00:00", null],
  ])("%j → %j", (text, ms) => expect(parseDockerTime(text)).toBe(ms));
});

describe("gpuDeviceRequests", () => {
  it.each([
    ["none", null, [], false],
    ["--gpus device=ids", [{ Driver: "", Count: 0, DeviceIDs: ["GPU-a", "MIG-b"], Capabilities: [["gpu"]] }], ["GPU-a", "MIG-b"], true],
    ["comma list inside one id", [{ Driver: "nvidia", DeviceIDs: ["GPU-a,GPU-b"] }], ["GPU-a", "GPU-b"], true],
    ["several requests", [{ Driver: "nvidia", DeviceIDs: ["GPU-a"] }, { Capabilities: [["compute", "gpu"]], DeviceIDs: ["GPU-c"] }], ["GPU-a", "GPU-c"], true],
    ["--gpus all", [{ Driver: "", Count: -1, DeviceIDs: null, Capabilities: [["gpu"]] }], [], true],
    ["non-GPU request is ignored", [{ Driver: "fpga", DeviceIDs: ["x"], Capabilities: [["fpga"]] }], [], false],
    ["zero count and no ids", [{ Driver: "nvidia", Count: 0, DeviceIDs: [] }], [], false],
  ] as const)("%s", (_c, reqs, ids, requestsGpu) => {
    expect(gpuDeviceRequests(reqs as never)).toEqual({ ids, requestsGpu });
  });
});

const inspectRunning = {
  Id: "abc123",
  Name: "/train._.alice",
  Created: "2024-05-01T09:59:59.999999999Z",
  Image: "sha256:deadbeef",
  RestartCount: 2,
  State: { Status: "running", Running: true, Pid: 4242, StartedAt: "2024-05-01T10:00:00.000000001Z", FinishedAt: "0001-01-01T00:00:00Z" },
  Config: { Image: "pytorch:latest", Labels: { "ds01.user": "alice" }, Env: ["PATH=/bin", "NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_VISIBLE_DEVICES=GPU-x"] },
  HostConfig: { DeviceRequests: [{ Driver: "", Count: 0, DeviceIDs: ["GPU-x"], Capabilities: [["gpu"]] }], CgroupParent: "ds01-student-alice.slice" },
};

describe("toContainerInfo", () => {
  it("maps an inspect body (names without '/', zero times → null, last env value wins)", () => {
    const c = toContainerInfo(inspectSchema.parse(inspectRunning))!;
    expect(c).toEqual({
      id: "abc123",
      name: "train._.alice",
      image: "pytorch:latest",
      labels: { "ds01.user": "alice" },
      state: "running",
      createdAt: Date.UTC(2024, 4, 1, 9, 59, 59, 999),
      startedAt: Date.UTC(2024, 4, 1, 10),
      finishedAt: null,
      restartCount: 2,
      pid: 4242,
      deviceRequestGpuIds: ["GPU-x"],
      requestsGpu: true,
      cgroupParent: "ds01-student-alice.slice",
      nvidiaVisibleDevices: "GPU-x",
    });
  });

  it("a list entry wins for name, labels, image and state; null collections are empty", () => {
    const body = inspectSchema.parse({ ...inspectRunning, Config: { Labels: null, Env: null }, HostConfig: { DeviceRequests: null, CgroupParent: "" } });
    const entry = listEntrySchema.parse({ Id: "abc123", Names: ["/renamed"], Image: "img:1", Created: 1714557599, Labels: null, State: "exited" });
    const c = toContainerInfo(body, entry)!;
    expect(c.name).toBe("renamed");
    expect(c.image).toBe("img:1");
    expect(c.labels).toEqual({});
    expect(c.state).toBe("exited");
    expect(c.pid).toBeNull(); // not running → no pid, whatever the body said
    expect(c.deviceRequestGpuIds).toEqual([]);
    expect(c.requestsGpu).toBe(false);
    expect(c.cgroupParent).toBeNull();
    expect(c.nvidiaVisibleDevices).toBeNull();
  });

  it("an unknown state gives null (the adapter turns it into an error)", () => {
    expect(toContainerInfo(inspectSchema.parse({ ...inspectRunning, State: { ...inspectRunning.State, Status: "zombie" } }))).toBeNull();
  });

  it("the schema rejects a body without an id or state", () => {
    expect(inspectSchema.safeParse({ Name: "/x" }).success).toBe(false);
    expect(listEntrySchema.safeParse({ Id: "x" }).success).toBe(false);
  });
});

describe("toEngineStats", () => {
  it("sums every interface but lo", () => {
    const s = toEngineStats(
      statsSchema.parse({
        read: "2024-05-01T10:00:01.5Z",
        cpu_stats: { cpu_usage: { total_usage: 5e9 } },
        networks: { eth0: { rx_bytes: 100, tx_bytes: 50 }, eth1: { rx_bytes: 1, tx_bytes: 2 }, lo: { rx_bytes: 1e6, tx_bytes: 1e6 } },
      }),
      0,
    );
    expect(s).toEqual({ cpuTotalNs: 5e9, netRxBytes: 101, netTxBytes: 52, at: Date.UTC(2024, 4, 1, 10, 0, 1, 500) });
  });
  it("no networks section → unknown network, not 0; no cpu → null", () => {
    expect(toEngineStats(statsSchema.parse({ read: "2024-05-01T10:00:00Z", cpu_stats: { cpu_usage: { total_usage: 1 } } }), 0)).toMatchObject({ netRxBytes: null, netTxBytes: null });
    expect(toEngineStats(statsSchema.parse({ read: "2024-05-01T10:00:00Z", cpu_stats: {} }), 0)).toBeNull();
  });
});

describe("toContainerEvent", () => {
  it("parses a die event with labels and nanosecond time", () => {
    const e = toContainerEvent(
      eventSchema.parse({
        Type: "container",
        Action: "die",
        Actor: { ID: "abc", Attributes: { name: "box", image: "img", exitCode: "0", "ds01.user": "alice" } },
        time: 1714557600,
        timeNano: 1714557600123.4 * 1e6,
      }),
    );
    expect(e).toEqual({ action: "die", id: "abc", name: "box", labels: { "ds01.user": "alice" }, time: 1714557600123 });
  });
  it("ignores other object types and events without an id", () => {
    expect(toContainerEvent(eventSchema.parse({ Type: "network", Action: "connect", Actor: { ID: "n" } }))).toBeNull();
    expect(toContainerEvent(eventSchema.parse({ Type: "container", Action: "start" }))).toBeNull();
  });
});

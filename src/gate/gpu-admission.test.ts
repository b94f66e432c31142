import { describe, expect, it } from "vitest";
import { gpuAskOf, takeGpuDevices, withSlots, withoutGpus } from "./gpu-admission.js";
import type { JsonObject } from "../docker/json-fields.js";

const gpu = (r: object): JsonObject => ({ Image: "x", HostConfig: { DeviceRequests: [r] } }) as JsonObject;

describe("gpuAskOf", () => {
  it("reads --gpus N, all (as the cap) and compose's capability form", () => {
    expect(gpuAskOf(gpu({ Driver: "", Count: 2, Capabilities: [["gpu"]] }), 4)).toEqual({ kind: "count", count: 2, all: false });
    expect(gpuAskOf(gpu({ Driver: "nvidia", Count: -1 }), 2)).toEqual({ kind: "count", count: 2, all: true });
    expect(gpuAskOf(gpu({ Driver: "nvidia", Count: -1 }), null).kind).toBe("refuse");
    expect(gpuAskOf(gpu({ Driver: "nvidia", Count: -1 }), 2, "refuse")).toMatchObject({ kind: "refuse", reason: expect.stringMatching(/not allowed/) });
    expect(gpuAskOf({ Image: "x" }, 1)).toEqual({ kind: "none" });
  });

  it("reads named devices from --gpus device=…, the environment and --device /dev/nvidia*", () => {
    expect(gpuAskOf(gpu({ Driver: "nvidia", DeviceIDs: ["0", "GPU-abc"] }), 1)).toEqual({ kind: "pinned", ids: ["0", "GPU-abc"], how: "--gpus device=0,GPU-abc" });
    expect(gpuAskOf({ Image: "x", Env: ["NVIDIA_VISIBLE_DEVICES=1,2:0"] }, 1)).toEqual({ kind: "pinned", ids: ["1", "2:0"], how: "NVIDIA_VISIBLE_DEVICES=1,2:0" });
    expect(gpuAskOf({ Image: "x", Env: ["NVIDIA_VISIBLE_DEVICES=all"] }, 3)).toEqual({ kind: "count", count: 3, all: true });
    expect(gpuAskOf({ Image: "x", Env: ["NVIDIA_VISIBLE_DEVICES=all"] }, 3, "refuse").kind).toBe("refuse");
    expect(gpuAskOf({ Image: "x", Env: ["NVIDIA_VISIBLE_DEVICES=void"] }, 1)).toEqual({ kind: "none" });
    expect(gpuAskOf({ Image: "x", Env: ["NVIDIA_VISIBLE_DEVICES=0;rm -rf"] }, 1).kind).toBe("refuse");
    const body: JsonObject = {
      Image: "x",
      HostConfig: { Devices: [{ PathOnHost: "/dev/nvidia1", PathInContainer: "/dev/nvidia1", CgroupPermissions: "rwm" }, { PathOnHost: "/dev/nvidiactl" }, { PathOnHost: "/dev/fuse" }] },
    };
    const devices = takeGpuDevices(body);
    expect(devices).toEqual({ kind: "pinned", ids: ["1"], how: "--device /dev/nvidia1" });
    expect((body.HostConfig as JsonObject).Devices).toEqual([{ PathOnHost: "/dev/fuse" }]); // left for the create check to refuse
    expect(gpuAskOf(body, 1, "cap", devices)).toEqual(devices);
    expect(takeGpuDevices({ Image: "x", HostConfig: { Devices: [{ PathOnHost: "/dev/nvidia-uvm" }] } }).kind).toBe("refuse");
  });

  it("refuses GPUs asked for two ways, and other device drivers", () => {
    expect(gpuAskOf({ ...gpu({ Driver: "nvidia", Count: 1 }), Env: ["NVIDIA_VISIBLE_DEVICES=0"] }, 1)).toMatchObject({ kind: "refuse", reason: expect.stringMatching(/more than one way/) });
    expect(gpuAskOf(gpu({ Driver: "nvidia", Count: 1 }), 1, "cap", { kind: "pinned", ids: ["0"], how: "--device /dev/nvidia0" }).kind).toBe("refuse");
    expect(gpuAskOf(gpu({ Driver: "amd", Count: 1 }), 1).kind).toBe("refuse");
    expect(gpuAskOf(gpu({ Driver: "nvidia", Count: "1" }), 1).kind).toBe("refuse");
  });

  it("rewrites to explicit UUIDs with labels, or blanks the environment", () => {
    const b = gpu({ Driver: "nvidia", Count: 1 });
    b.Labels = { "ds01.user": "a" };
    withSlots(b, [{ uuid: "GPU-1", id: "0" } as never, { uuid: "GPU-2", id: "1" } as never], 0);
    expect((b.HostConfig as JsonObject).DeviceRequests).toEqual([{ Driver: "nvidia", Count: 0, DeviceIDs: ["GPU-1", "GPU-2"], Capabilities: [["gpu"]], Options: {} }]);
    expect(b.Labels).toMatchObject({ "ds01.gpu.uuids": "GPU-1,GPU-2", "ds01.gpu.allocated": "0,1" });
    expect(b.Env).toEqual(["NVIDIA_VISIBLE_DEVICES=GPU-1,GPU-2"]);
    const n: JsonObject = { Image: "x", Env: ["A=1", "NVIDIA_VISIBLE_DEVICES=none"] };
    withoutGpus(n);
    expect(n.Env).toEqual(["A=1", "NVIDIA_VISIBLE_DEVICES=void"]);
  });
});

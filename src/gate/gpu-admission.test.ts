import { describe, expect, it } from "vitest";
import { gpuAskOf, withSlots, withoutGpus } from "./gpu-admission.js";
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

  it("refuses GPUs by hand (ids, the environment) and other device drivers", () => {
    expect(gpuAskOf(gpu({ Driver: "nvidia", DeviceIDs: ["0"] }), 1).kind).toBe("refuse");
    expect(gpuAskOf({ Image: "x", Env: ["NVIDIA_VISIBLE_DEVICES=all"] }, 1).kind).toBe("refuse");
    expect(gpuAskOf({ Image: "x", Env: ["NVIDIA_VISIBLE_DEVICES=void"] }, 1)).toEqual({ kind: "none" });
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

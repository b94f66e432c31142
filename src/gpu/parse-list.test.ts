import { describe, expect, it } from "vitest";
import { TransientError } from "../errors.js";
import { parseMigUuid, parseNvidiaSmiList } from "./parse-list.js";

const G = "GPU-5f8b5c2e-1b1b-4c4c-8d8d-0123456789ab";

describe("parseNvidiaSmiList", () => {
  it("reads full GPUs", () => {
    expect(parseNvidiaSmiList(`GPU 0: NVIDIA RTX A5000 (UUID: ${G})\nGPU 1: NVIDIA RTX A5000 (UUID: GPU-1)\n`)).toEqual([
      { index: 0, name: "NVIDIA RTX A5000", uuid: G, migDevices: [] },
      { index: 1, name: "NVIDIA RTX A5000", uuid: "GPU-1", migDevices: [] },
    ]);
  });

  it("reads modern MIG lines with padding, and legacy MIG-GPU-<uuid>/<gi>/<ci> lines", () => {
    const out = parseNvidiaSmiList(
      [
        `GPU 0: NVIDIA A100-SXM4-40GB (UUID: ${G})`,
        `  MIG 3g.20gb     Device  0: (UUID: MIG-a1b2c3d4-0000-5555-aaaa-0123456789ab)`,
        `  MIG 1c.3g.20gb  Device  1: (UUID: MIG-${G}/2/1)`,
        `  MIG 1g.10gb+me  Device 12: (UUID: MIG-b1b2c3d4-0000-5555-aaaa-0123456789ab)`,
      ].join("\r\n") + "\r\n",
    );
    expect(out[0]!.migDevices).toEqual([
      { deviceIndex: 0, profile: "3g.20gb", uuid: "MIG-a1b2c3d4-0000-5555-aaaa-0123456789ab", gpuInstanceId: null, computeInstanceId: null },
      { deviceIndex: 1, profile: "1c.3g.20gb", uuid: `MIG-${G}/2/1`, gpuInstanceId: 2, computeInstanceId: 1 },
      { deviceIndex: 12, profile: "1g.10gb+me", uuid: "MIG-b1b2c3d4-0000-5555-aaaa-0123456789ab", gpuInstanceId: null, computeInstanceId: null },
    ]);
  });

  it("reads a MIG line without a profile (old drivers)", () => {
    expect(parseNvidiaSmiList(`GPU 0: A100 (UUID: ${G})\n  MIG Device 0: (UUID: MIG-${G}/1/0)\n`)[0]!.migDevices[0]).toMatchObject({ profile: null, gpuInstanceId: 1 });
  });

  it("'No devices were found' is an answer: no GPUs", () => {
    expect(parseNvidiaSmiList("No devices were found\n")).toEqual([]);
  });

  it.each([
    ["empty output", ""],
    ["blank output", "\n\n"],
    ["garbage", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."],
    ["a MIG line before any GPU", `  MIG 1g.10gb Device 0: (UUID: MIG-x)`],
    ["a truncated line", `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0000`],
    ["output cut after a complete-looking line", `GPU 0: X (UUID: ${G})\n  MIG 1g.10gb Device 0: (UUID: MIG-a1b2c3d4-0000-5555-aaaa-01234)`],
    ["a bad MIG UUID", `GPU 0: X (UUID: ${G})\n  MIG 1g.10gb Device 0: (UUID: MIG-GPU-x/1)`],
  ])("%s → TransientError from nvidia_smi", (_why, text) => {
    expect(() => parseNvidiaSmiList(text)).toThrow(TransientError);
    try {
      parseNvidiaSmiList(text);
    } catch (e) {
      expect((e as TransientError).source).toBe("nvidia_smi");
    }
  });

  it("non-UTF-8 bytes → TransientError", () => {
    const bytes = Buffer.concat([Buffer.from(`GPU 0: NVIDIA `), Buffer.from([0xff, 0xfe]), Buffer.from(` (UUID: ${G})\n`)]);
    expect(() => parseNvidiaSmiList(bytes)).toThrow(/UTF-8/);
  });
});

describe("parseMigUuid", () => {
  it.each([
    ["MIG-a1b2c3d4-0000-5555-aaaa-0123456789ab", { gpuInstanceId: null, computeInstanceId: null }],
    [`MIG-${G}/7/0`, { gpuInstanceId: 7, computeInstanceId: 0 }],
    ["GPU-123", null],
    ["MIG-GPU-x/1", null],
  ])("%s → %j", (uuid, ids) => expect(parseMigUuid(uuid)).toEqual(ids));
});

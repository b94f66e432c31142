import { describe, expect, it } from "vitest";
import { migGpuEquivalent, migSliceCount, parseMigProfile } from "./mig-weight.js";

describe("migGpuEquivalent", () => {
  it.each([
    ["1g.10gb", 7, 1 / 7],
    ["2g.20gb", 7, 2 / 7],
    ["3g.40gb", 7, 3 / 7],
    ["7g.80gb", 7, 1],
    ["1g.10gb+me", 7, 1 / 7],
    ["1g.20gb", 7, 1 / 7],
    ["1c.3g.71gb", 7, 1 / 7],
    ["2c.3g.40gb", 7, 2 / 7],
    ["2g.12gb", 4, 2 / 4],
    ["4g.24gb", 4, 1],
  ] as const)("%s on a %d-slice GPU → %d", (profile, slices, w) => expect(migGpuEquivalent(profile, slices)).toBeCloseTo(w, 12));

  it.each([null, undefined, "", "3g", "g.10gb", "0g.5gb", "4c.3g.40gb", "MIG 1g.10gb", "full"])("%j → null (unknown, never 0)", (profile) =>
    expect(migGpuEquivalent(profile)).toBeNull(),
  );

  it("a profile larger than the GPU is impossible → null", () => {
    expect(migGpuEquivalent("7g.80gb", 4)).toBeNull();
    expect(migGpuEquivalent("1g.10gb", 0)).toBeNull();
  });

  it("defaults to 7 slices", () => expect(migGpuEquivalent("2g.20gb")).toBe(2 / 7));
});

describe("migSliceCount / parseMigProfile", () => {
  it.each([
    ["NVIDIA A30", 4],
    ["NVIDIA A100-SXM4-40GB", 7],
    ["NVIDIA H100 80GB HBM3", 7],
    ["NVIDIA H200", 7],
    ["Some Future GPU", 7],
    [null, 7],
  ])("%j → %d", (name, n) => expect(migSliceCount(name)).toBe(n));

  it("separates compute from GPU-instance slices", () => {
    expect(parseMigProfile("1c.3g.71gb")).toEqual({ gpuSlices: 3, computeSlices: 1 });
    expect(parseMigProfile("3g.40gb")).toEqual({ gpuSlices: 3, computeSlices: 3 });
  });
});

import { describe, expect, it } from "vitest";
import { slotTable } from "./slots.js";
import { gpu, migGpu, migUuid, gpuUuid } from "../../test/helpers/fleet.js";

describe("slotTable", () => {
  it("a full GPU is one slot of weight 1.0", () => {
    const t = slotTable([gpu(0)]);
    expect(t.slots).toEqual([expect.objectContaining({ uuid: gpuUuid(0), kind: "full", id: "0", weight: 1, allocatable: true })]);
  });

  it("a GPU in MIG mode contributes only its MIG devices, weighted by profile", () => {
    const t = slotTable([migGpu(1, ["1g.10gb", "2g.20gb", "3g.40gb"])]);
    expect(t.slots.map((s) => [s.uuid, s.id, s.weight])).toEqual([
      [migUuid(1, 0), "1.0", 1 / 7],
      [migUuid(1, 1), "1.1", 2 / 7],
      [migUuid(1, 2), "1.2", 3 / 7],
    ]);
    expect(t.slots.some((s) => s.uuid === gpuUuid(1))).toBe(false);
  });

  it("MIG mode with no devices makes the GPU unusable", () => {
    const g = { ...gpu(2), migEnabled: true };
    const t = slotTable([g]);
    expect(t.slots).toEqual([]);
    expect(t.unusableGpus).toEqual([{ index: 2, uuid: gpuUuid(2), reason: "MIG mode is on but no MIG device exists" }]);
  });

  it("a GPU the probe marks unusable gives no slot", () => {
    expect(slotTable([{ ...gpu(0), usable: false }]).slots).toEqual([]);
  });

  it.each([
    ["unknown profile", null],
    ["unparseable profile", "weird"],
  ])("a MIG device with %s is shown but not allocatable (never weight 0)", (_label, profile) => {
    const t = slotTable([migGpu(0, [profile])]);
    expect(t.slots[0]).toMatchObject({ allocatable: false, weight: null });
    expect(t.slots[0]!.unavailableReason).toMatch(/GPU-equivalent unknown/);
  });

  it("orders slots numerically by GPU index (10 after 2), then MIG index", () => {
    const t = slotTable([gpu(10), migGpu(2, ["1g.10gb", "1g.10gb"]), gpu(1)]);
    expect(t.slots.map((s) => s.id)).toEqual(["1", "2.0", "2.1", "10"]);
  });

  it("MIG mode unknown (null) with no devices is a full GPU", () => {
    expect(slotTable([{ ...gpu(0), migEnabled: null }]).slots).toHaveLength(1);
  });
});

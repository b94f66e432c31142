import { describe, expect, it } from "vitest";
import { computeHoldings } from "./holdings.js";
import { slotTable } from "./slots.js";
import { holder, gpu, migGpu, migUuid, reservation, gpuUuid } from "../../test/helpers/fleet.js";

const slots = slotTable([gpu(0), gpu(1), migGpu(2, ["1g.10gb", "1g.10gb", "1g.10gb", "2g.20gb"])]).slots;
const at = { now: 10_000, listedAt: 9_000 };

describe("computeHoldings", () => {
  it.each(["running", "exited", "created", "paused"] as const)("a %s container holds its GPU", (state) => {
    const h = computeHoldings({ slots, containers: [holder("a", "alice", [gpuUuid(0)], state)], reservations: [], ...at });
    expect(h.taken.has(gpuUuid(0))).toBe(true);
    expect(h.users.get("alice")).toMatchObject({ equivalents: 1, gpuContainers: ["a"], containers: ["a"] });
  });

  it("three 1g.10gb MIG devices weigh 3/7, not 0", () => {
    const cs = [0, 1, 2].map((d) => holder(`m${d}`, "bob", [migUuid(2, d)]));
    const h = computeHoldings({ slots, containers: cs, reservations: [], ...at });
    expect(h.users.get("bob")!.equivalents).toBeCloseTo(3 / 7, 9);
    expect(h.loadByGpu.get(gpuUuid(2))).toBeCloseTo(3 / 7, 9);
  });

  it("a container holding a MIG GPU's parent UUID blocks all its devices and is charged 1.0", () => {
    const h = computeHoldings({ slots, containers: [holder("p", "carol", [gpuUuid(2)])], reservations: [], ...at });
    expect([0, 1, 2, 3].every((d) => h.taken.has(migUuid(2, d)))).toBe(true);
    expect(h.users.get("carol")!.equivalents).toBe(1);
  });

  it("an unknown UUID is charged as a full GPU", () => {
    const h = computeHoldings({ slots, containers: [holder("x", "dan", ["GPU-gone"])], reservations: [], ...at });
    expect(h.users.get("dan")!.equivalents).toBe(1);
  });

  it("containers without GPUs count as containers, not as holdings", () => {
    const h = computeHoldings({ slots, containers: [holder("cpu", "erin", [], "exited")], reservations: [], ...at });
    expect(h.users.get("erin")).toMatchObject({ equivalents: 0, containers: ["cpu"], gpuContainers: [] });
  });

  it("an infrastructure container naming a GPU still takes it (never hand out a used slot)", () => {
    const c = holder("dcgm", "root", [gpuUuid(0)], "running", { infrastructure: true, infrastructureReason: "monitoring" });
    expect(computeHoldings({ slots, containers: [c], reservations: [], ...at }).taken.has(gpuUuid(0))).toBe(true);
  });

  it("the same UUID held twice is listed with both holders (conflict)", () => {
    const cs = [holder("a", "alice", [gpuUuid(0)]), holder("b", "bob", [gpuUuid(0)])];
    expect(computeHoldings({ slots, containers: cs, reservations: [], ...at }).byUuid.get(gpuUuid(0))).toHaveLength(2);
  });

  describe("reservations", () => {
    const cases = [
      { name: "pending, unexpired", r: reservation(gpuUuid(1), "alice", "new"), listed: false, counts: true },
      { name: "pending, expired (crashed creator)", r: reservation(gpuUuid(1), "alice", "new", { expiresAt: 10_000 }), listed: false, counts: false },
      {
        name: "confirmed after the listing started, container not listed",
        r: reservation(gpuUuid(1), "alice", "new", { state: "confirmed", containerId: "id-new", confirmedAt: 9_500 }),
        listed: false,
        counts: true,
      },
      {
        name: "confirmed well before the listing started, container gone",
        r: reservation(gpuUuid(1), "alice", "new", { state: "confirmed", containerId: "id-new", confirmedAt: 5_000 }),
        listed: false,
        counts: false,
      },
      {
        name: "confirmed, container listed (its labels hold the slot)",
        r: reservation(gpuUuid(1), "alice", "new", { state: "confirmed", containerId: "id-new", confirmedAt: 9_500 }),
        listed: true,
        counts: false,
      },
    ];
    it.each(cases)("$name → counts: $counts", ({ r, listed, counts }) => {
      const cs = listed ? [holder("new", "alice", [])] : [];
      const h = computeHoldings({ slots, containers: cs, reservations: [r], ...at });
      expect(h.taken.has(gpuUuid(1))).toBe(counts);
    });

    it("a reserved name not created yet counts as one of the user's containers", () => {
      const h = computeHoldings({ slots, containers: [], reservations: [reservation(gpuUuid(1), "alice", "new")], ...at });
      expect(h.users.get("alice")!.containers).toEqual(["new"]);
    });
  });
});

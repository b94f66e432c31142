import { describe, expect, it } from "vitest";
import { newRecord } from "../model/record.js";
import { container, gpu, gpuUuid, inventory, migGpu, migUuid, T0 } from "../../test/helpers/fleet.js";
import { fleetFigures, type FleetFigureInput } from "./fleet-figures.js";

function input(over: Partial<FleetFigureInput>): FleetFigureInput {
  return { inventory: inventory([gpu(0), gpu(1)]), utilisation: new Map(), containers: [], records: new Map(), now: T0, highDemandThreshold: 0.8, ...over };
}

describe("fleetFigures: GPU allocation in GPU-equivalents", () => {
  it.each([
    ["nothing held", [], 0, [0, 0]],
    ["one running container", [{ gpus: [gpuUuid(0)] }], 1, [1, 0]],
    ["an exited container holds nothing", [{ gpus: [gpuUuid(0)], state: "exited" as const }], 0, [0, 0]],
    ["a created (never started) container holds its GPU", [{ gpus: [gpuUuid(1)], state: "created" as const }], 1, [0, 1]],
    ["two containers on one GPU count it once", [{ gpus: [gpuUuid(0)] }, { gpus: [gpuUuid(0)] }], 1, [1, 0]],
  ])("%s", (_l, specs, allocated, perSlot) => {
    const f = fleetFigures(input({ containers: specs.map((s) => container(s)) }));
    expect(f.equivalentsTotal).toBe(2);
    expect(f.equivalentsAllocated).toBe(allocated);
    expect(f.slots.map((s) => s.held)).toEqual(perSlot);
    expect(f.slotsByKind).toEqual({ full: 2, mig: 0 });
  });

  it("weighs MIG devices by profile; a container on the parent GPU takes all its devices", () => {
    const inv = inventory([migGpu(0, 7), gpu(1)]);
    const one = fleetFigures(input({ inventory: inv, containers: [container({ gpus: [migUuid(0, 2)] })] }));
    expect(one.equivalentsTotal).toBe(2);
    expect(one.equivalentsAllocated).toBeCloseTo(1 / 7, 9);
    expect(one.slots.filter((s) => s.held).map((s) => [s.slotUuid, s.profile])).toEqual([[migUuid(0, 2), "1g.10gb"]]);
    const parent = fleetFigures(input({ inventory: inv, containers: [container({ gpus: [gpuUuid(0)] })] }));
    expect(parent.equivalentsAllocated).toBe(1);
    expect(parent.slotsByKind).toEqual({ full: 1, mig: 7 });
  });

  it("leaves GPU figures out when the probe never answered or failed", () => {
    for (const inv of [null, inventory([], "nvidia-smi timed out")]) {
      const f = fleetFigures(input({ inventory: inv, containers: [container({})] }));
      expect(f.gpuKnown).toBe(false);
      expect(f.slots).toEqual([]);
      expect(f.highDemand).toBeNull();
    }
  });

  it("sums each owner's live GPUs, counting a UUID with no known weight as a whole GPU", () => {
    const f = fleetFigures(input({
      containers: [
        container({ owner: "alice", gpus: [gpuUuid(0)] }),
        container({ owner: "alice", gpus: [gpuUuid(0)] }),
        container({ owner: "bob", gpus: ["GPU-not-on-this-host"] }),
        container({ owner: "carol", gpus: [gpuUuid(1)], state: "exited" }),
      ],
    }));
    expect(Object.fromEntries(f.users)).toEqual({ alice: 1, bob: 1 });
  });
});

describe("fleetFigures: containers, idle time, utilisation, high demand", () => {
  it("counts containers by state, type and owner", () => {
    const f = fleetFigures(input({ containers: [container({ owner: "a" }), container({ owner: "a" }), container({ owner: "a", state: "exited" }), container({ owner: "b", type: "compose" })] }));
    expect(f.containers.sort((x, y) => x.owner.localeCompare(y.owner) || x.state.localeCompare(y.state))).toEqual([
      { state: "exited", type: "docker", owner: "a", count: 1 },
      { state: "running", type: "docker", owner: "a", count: 2 },
      { state: "running", type: "compose", owner: "b", count: 1 },
    ]);
  });

  it("reports idle seconds and streak for running GPU containers from their records", () => {
    const idle = container({ id: "i", name: "idle", gpus: [gpuUuid(0)] });
    const busy = container({ id: "b", name: "busy", gpus: [gpuUuid(1)] });
    const cpu = container({ id: "c", name: "cpu", gpus: [] });
    const records = new Map([
      ["i", { ...newRecord("i", "idle", "alice", T0 - 3_600_000), idleStreak: 4, idleSince: T0 - 90_000 }],
      ["c", { ...newRecord("c", "cpu", "alice", T0), idleStreak: 9, idleSince: T0 - 1000 }],
    ]);
    const f = fleetFigures(input({ containers: [idle, busy, cpu], records }));
    expect(f.idle).toEqual([
      { container: "idle", owner: "alice", idleSeconds: 90, streak: 4 },
      { container: "busy", owner: "alice", idleSeconds: 0, streak: 0 },
    ]);
  });

  it("reports known utilisation only (unknown is left out, never 0)", () => {
    const f = fleetFigures(input({ utilisation: new Map([[gpuUuid(0), 42], [gpuUuid(1), null]]) }));
    expect(f.utilisation).toEqual([{ gpuUuid: gpuUuid(0), index: "0", pct: 42 }]);
  });

  it.each([
    ["below the threshold", 0.8, [gpuUuid(0)], 0],
    ["at the threshold", 0.5, [gpuUuid(0)], 1],
    ["mode off", null, [gpuUuid(0), gpuUuid(1)], 0],
  ])("high demand %s", (_l, threshold, gpus, expected) => {
    const f = fleetFigures(input({ highDemandThreshold: threshold, containers: [container({ gpus })] }));
    expect(f.highDemand).toBe(expected);
  });
});

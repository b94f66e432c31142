import { describe, expect, it } from "vitest";
import { holder, gpu, migGpu, migUuid, reservation, gpuUuid } from "../../test/helpers/fleet.js";
import { holdersText } from "./holders-text.js";
import { slotTable } from "./slots.js";

const slots = slotTable([gpu(0), gpu(1), migGpu(2, ["1g.10gb", "3g.40gb"])]).slots;
const at = Date.UTC(2026, 11, 2, 14, 5);

function text(over: Partial<Parameters<typeof holdersText>[0]> = {}) {
  return holdersText({
    slots,
    containers: [],
    reservations: [],
    now: 10_000,
    listedAt: 9_000,
    request: { user: "alice", container: "new", count: 1, profile: null, preferFull: true },
    allowFullGpu: true,
    ...over,
  });
}

describe("holdersText", () => {
  it("names each suitable slot's holder and the soonest planned step", () => {
    const train = holder("train", "bob", [gpuUuid(0)]);
    const old = holder("old", "carol", [gpuUuid(1)], "exited");
    const t = text({
      containers: [train, old],
      reservations: [reservation(migUuid(2, 0), "dave", "d1"), reservation(migUuid(2, 1), "erin", "e1")],
      next: (c) => (c.name === "train" ? { kind: "stop", reason: "idle", at } : c.name === "old" ? { kind: "remove", reason: "exited_hold", at: at + 3_600_000 } : null),
    });
    expect(t).toBe(
      "held: GPU 0: bob's train (running; stop for idle at 14:05 UTC); GPU 1: carol's old (exited; remove for exited_hold at 15:05 UTC); " +
        "MIG 2.0: reserved for dave's d1; MIG 2.1: reserved for erin's e1. The next planned step is at 14:05 UTC (bob's train: stop (idle))",
    );
  });

  it("lists only slots the request could use (a profile), and a MIG device taken through its whole GPU", () => {
    const whole = holder("whole", "bob", [gpuUuid(2)]);
    const t = text({ containers: [whole, holder("g0", "carol", [gpuUuid(0)])], request: { user: "alice", container: "n", count: 1, profile: "3g.40gb", preferFull: false } });
    expect(t).toBe("held: MIG 2.1: bob's whole (running)");
  });

  it("says nothing when no suitable slot is held", () => {
    expect(text()).toBe("");
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { gpu, limits, reservation, gpuUuid } from "../../test/helpers/fleet.js";
import { fixedClock } from "../util/clock.js";
import { reservationSteps, reserveSlots, type AllocatorDeps } from "./allocator.js";
import { openReservationDb } from "./reservation-store.js";
import { slotTable } from "./slots.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "ds01-alloc-"));
  dirs.push(dir);
  const db = openReservationDb(dir);
  const clock = fixedClock(1_000_000);
  const deps: AllocatorDeps = {
    reservations: db.store,
    clock,
    listContainers: async () => [],
    inventory: async () => ({ gpus: [gpu(0)], error: null }),
    limitsFor: () => limits(),
  };
  return { db, clock, deps };
}

describe("reserveSlots", () => {
  it("hands out a slot whose confirmed reservation outlived its removed container (no daemon to clear it)", () => {
    const { db, clock, deps } = setup();
    // bob's container was created (reservation confirmed), then removed; the row lives on until its TTL.
    db.store.insert([reservation(gpuUuid(0), "bob", "gone", { state: "confirmed", containerId: "id-gone", confirmedAt: clock.now() - 10_000, expiresAt: clock.now() + 100_000 })]);
    const obs = { slots: slotTable([gpu(0)]).slots, containers: [], listedAt: clock.now(), currentAt: clock.now(), source: "listing" as const };
    const r = reserveSlots(deps, { user: "alice", container: "new", count: 1, profile: null, preferFull: true }, obs);
    expect(r.ok).toBe(true);
    expect(db.store.all().map((x) => [x.slotUuid, x.user, x.state])).toEqual([[gpuUuid(0), "alice", "pending"]]);
    db.close();
  });

  it("a container Docker removed frees its slot at once, not after the listing slack", async () => {
    const { db, clock, deps } = setup();
    db.store.insert([reservation(gpuUuid(0), "bob", "just-made", { state: "confirmed", containerId: "id-just-made", confirmedAt: clock.now() - 100, expiresAt: clock.now() + 100_000 })]);
    const obs = { slots: slotTable([gpu(0)]).slots, containers: [], listedAt: clock.now(), currentAt: clock.now(), source: "listing" as const };
    const ask = { user: "alice", container: "new", count: 1, profile: null, preferFull: true };
    // Confirmed 100 ms ago and not listed: it may just be missing from the listing, so it counts.
    expect(reserveSlots(deps, ask, obs).ok).toBe(false);
    expect(await deps.reservations.lockedAsync(reservationSteps.removed(deps, "id-just-made"))).toBe(1); // the destroy event says it is gone
    expect(reserveSlots(deps, ask, obs).ok).toBe(true);
    db.close();
  });
});

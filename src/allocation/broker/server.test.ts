import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { gpu, limits } from "../../../test/helpers/fleet.js";
import { fixedClock } from "../../util/clock.js";
import { silentLogger } from "../../util/log.js";
import type { AllocatorDeps } from "../allocator.js";
import { openReservationDb } from "../reservation-store.js";
import { slotTable } from "../slots.js";
import { brokerClient } from "./client.js";
import { AllocationBroker } from "./server.js";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function broker(audit: () => void) {
  const dir = mkdtempSync(join(tmpdir(), "ds01-broker-"));
  dirs.push(dir);
  const db = openReservationDb(dir);
  const clock = fixedClock(Date.now());
  const deps: AllocatorDeps = { reservations: db.store, clock, listContainers: async () => [], inventory: async () => ({ gpus: [gpu(0)], error: null }), limitsFor: () => limits() };
  const b = new AllocationBroker(join(dir, "allocation.sock"), {
    allocator: () => deps,
    audit,
    observe: () => ({ slots: slotTable([gpu(0)]).slots, containers: [], listedAt: clock.now(), currentAt: clock.now(), source: "daemon" }),
    log: silentLogger,
  });
  await b.start();
  return { b, db, client: brokerClient(join(dir, "allocation.sock")) };
}

const ask = { user: "alice", container: "c1", count: 1, profile: null, preferFull: true };

describe("the allocation broker", () => {
  it("hands out a decision only once it is in the audit log", async () => {
    const recorded: number[] = [];
    const ok = await broker(() => void recorded.push(1));
    const r = await ok.client.reserve(ask, []);
    expect(r?.ok).toBe(true);
    expect(recorded).toHaveLength(1);
    await ok.b.stop();
    ok.db.close();
  });

  it("a decision the audit log cannot take is not handed out", async () => {
    const failing = await broker(() => {
      throw new Error("database or disk is full");
    });
    await expect(failing.client.reserve(ask, [])).rejects.toThrow(/the audit store failed, so the decision was not handed out/);
    await failing.b.stop();
    failing.db.close();
  });
});

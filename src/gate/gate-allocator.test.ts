// The gate's reservation steps after a create wait for the allocation lock between timers: while
// another process holds it, the gate's event loop goes on (other clients are served), and the
// step completes once the lock is free — not a synchronous wait that stops the gate, then fails.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { gpuUuid, reservation } from "../../test/helpers/fleet.js";
import { openReservationDb, RESERVATION_DB_FILE, type ReservationDb } from "../allocation/reservation-store.js";
import { loadConfig } from "../config/load-config.js";
import { fixedClock } from "../util/clock.js";
import { DEFAULT_IDENTITY_OPTIONS } from "../docker/identity.js";
import { gateGpus } from "./gate-allocator.js";

const T = 1_000_000;
let dir = "";
let db: ReservationDb | null = null;
afterEach(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

it("confirm, release and removed wait for a lock held elsewhere without stopping the event loop", async () => {
  dir = mkdtempSync(join(tmpdir(), "ds01-gate-alloc-"));
  db = openReservationDb(dir, { timeoutMs: 10_000 });
  db.store.insert([
    reservation(gpuUuid(0), "alice", "a", { requestId: "r-a", expiresAt: T + 60_000 }),
    reservation(gpuUuid(1), "alice", "b", { requestId: "r-b", expiresAt: T + 60_000 }),
    reservation(gpuUuid(2), "bob", "c", { requestId: "r-c", state: "confirmed", containerId: "id-c", expiresAt: T + 60_000 }),
  ]);
  const config = await loadConfig(join(import.meta.dirname, "../../config/default"));
  const gpus = gateGpus({
    config, runtime: { list: async () => [] }, probe: { inventory: async () => ({ gpus: [], error: null }), sample: async () => new Map(), reset: async () => undefined },
    stateDir: dir, reservations: db.store, identity: DEFAULT_IDENTITY_OPTIONS,
    clock: fixedClock(T), env: { DS01_ALLOCATION_BROKER: "off" }, appendEvent: () => undefined,
  });

  const other = new Database(join(dir, RESERVATION_DB_FILE));
  other.exec("BEGIN IMMEDIATE"); // another process holds the allocation lock
  const steps = [gpus.confirm("r-a", "id-a"), gpus.release("r-b"), gpus.removed!("id-c")];
  let served = false;
  setImmediate(() => (served = true));
  await new Promise((r) => setTimeout(r, 50));
  expect(served).toBe(true); // the loop ran while the steps waited
  expect(db.store.all().map((r) => [r.requestId, r.state])).toEqual([["r-a", "pending"], ["r-b", "pending"], ["r-c", "confirmed"]]);
  other.exec("COMMIT");
  other.close();
  expect((await Promise.all(steps))[0]).toBe(true);
  expect(db.store.all().map((r) => [r.requestId, r.state, r.containerId])).toEqual([["r-a", "confirmed", "id-a"]]);
});

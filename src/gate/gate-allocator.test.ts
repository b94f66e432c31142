// The gate's reservation steps after a create wait for the allocation lock between timers: while
// another process holds it, the gate's event loop goes on (other clients are served), and the
// step completes once the lock is free — not a synchronous wait that stops the gate, then fails.
// Creates share one GPU inventory reading.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { gpu, gpuUuid, reservation } from "../../test/helpers/fleet.js";
import { openReservationDb, RESERVATION_DB_FILE, type ReservationDb } from "../allocation/reservation-store.js";
import { loadConfig } from "../config/load-config.js";
import { fixedClock } from "../util/clock.js";
import { DEFAULT_IDENTITY_OPTIONS } from "../docker/identity.js";
import { gateGpus, INVENTORY_FRESH_MS } from "./gate-allocator.js";

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

it("creates share one GPU reading, read again in the background once a minute old, and at once after rereadGpus (SIGHUP)", async () => {
  dir = mkdtempSync(join(tmpdir(), "ds01-gate-alloc-"));
  db = openReservationDb(dir, { timeoutMs: 10_000 });
  const config = await loadConfig(join(import.meta.dirname, "../../config/default"));
  const clock = fixedClock(T);
  let reads = 0;
  const gpus = gateGpus({
    config,
    runtime: { list: async () => [] },
    probe: { inventory: async () => (reads++, { gpus: [gpu(0)], error: null }), sample: async () => new Map(), reset: async () => undefined },
    stateDir: dir, reservations: db.store, identity: DEFAULT_IDENTITY_OPTIONS,
    clock, env: { DS01_ALLOCATION_BROKER: "off" }, appendEvent: () => undefined,
  });
  const ask = async (n: number) => {
    const r = await gpus.reserve("alice", `c${n}`, { count: 1 });
    if (r.ok) await gpus.release(r.requestId);
    return r;
  };
  expect((await ask(1)).ok).toBe(true);
  expect(reads).toBe(1);
  clock.advance(INVENTORY_FRESH_MS - 1);
  await ask(2);
  expect(reads).toBe(1); // still fresh: shared
  clock.advance(2);
  expect((await ask(3)).ok).toBe(true); // answered from the last reading...
  await new Promise((r) => setImmediate(r));
  expect(reads).toBe(2); // ...while it is read again
  gpus.rereadGpus!();
  await ask(4);
  expect(reads).toBe(3);
});

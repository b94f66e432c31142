// 100 allocation requests at once from 100 separate processes, against 8 slots and several users,
// over random request mixes (seeded): no slot is ever handed out twice, no quota is ever exceeded,
// and the database agrees with what was granted. Real SQLite locking between real processes; then
// the same through the daemon's allocation broker (a process of its own, as in the daemon), and
// with half the processes deciding locally while the other half go through the broker.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lessOrEqual, sumWeights } from "../../src/allocation/numbers.js";
import { equivalentCeiling, type QuotaLimits } from "../../src/allocation/quota.js";
import { slotTable } from "../../src/allocation/slots.js";
import type { ObservedContainer } from "../../src/model/container.js";
import { openReservationDb } from "../../src/allocation/reservation-store.js";
import { holder, gpu, limits, migGpu } from "../helpers/fleet.js";
import { startBrokerHost, startWorkerPool, type BrokerHost, type WorkerPool } from "./worker-pool.js";

/** mulberry32: a tiny seeded PRNG, so a failing round can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// 8 slots: two full GPUs, and a MIG GPU with 4 × 1g.10gb, 1 × 2g.20gb, 1 × 1g.10gb… = 6 devices.
const GPUS = [gpu(0), gpu(1), migGpu(2, ["1g.10gb", "1g.10gb", "1g.10gb", "1g.10gb", "2g.20gb", "1g.10gb"])];
const SLOTS = slotTable(GPUS).slots;
const WEIGHT = new Map(SLOTS.map((s) => [s.uuid, s.weight!]));
const USERS = ["ua", "ub", "uc", "ud", "ue"];
const N = Number(process.env.DS01_CONC_N ?? 100);

let pool: WorkerPool;
let broker: BrokerHost;
let stateDir: string;

// Starting 100 Node processes costs ~30 s of CPU on the 2-core test machine; it is done once, and
// every round reuses the same processes (each answers one request per round, all at once).
beforeAll(async () => {
  pool = startWorkerPool(N);
  broker = startBrokerHost();
  stateDir = mkdtempSync(join(tmpdir(), "ds01-alloc-conc-"));
  await pool.setup({ stateDir: join(stateDir, "warm-up"), gpus: [], containers: [], limitsByUser: {} });
}, 400_000);

afterAll(async () => {
  await pool?.close();
  await broker?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

function randomLimits(rnd: () => number): QuotaLimits {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  return limits({
    max_gpu_equivalents: pick([null, 0.5, 1, 3 / 7, 2, 1 + 1 / 7]),
    gpu_limit: pick([null, null, 1, 2]),
    max_gpu_slots_per_container: pick([null, 1, 2, 3]),
    allow_full_gpu: rnd() < 0.7,
    max_containers_per_user: pick([null, 2, 3, 5]),
  });
}

type Via = "lock" | "broker" | "mixed";

describe("100 concurrent allocation requests from separate processes", () => {
  it.each([
    [1, "lock"],
    [2, "lock"],
    [3, "lock"],
    [4, "lock"],
    [5, "lock"],
    [6, "broker"],
    [7, "broker"],
    [8, "mixed"],
    [9, "mixed"],
  ] as [number, Via][])("round with seed %i (%s): no double allocation, no quota exceeded", async (seed, via) => {
    const rnd = prng(seed * 7919);
    const limitsByUser = Object.fromEntries(USERS.map((u) => [u, randomLimits(rnd)]));
    // Some slots are already held by existing containers (one stopped), by users in the mix.
    const existing: ObservedContainer[] = [holder("old-a", "ua", [SLOTS[0]!.uuid], "exited"), holder("old-b", "ub", [SLOTS[3]!.uuid])];
    const dir = join(stateDir, `round-${seed}`);
    const socket = join(dir, "allocation.sock");
    if (via !== "lock") await broker.setup({ stateDir: dir, socket, gpus: GPUS, containers: existing, limitsByUser });
    const before = via === "lock" ? null : await broker.counts();
    await pool.setup({ stateDir: dir, gpus: GPUS, containers: existing, limitsByUser, ...(via === "lock" ? {} : { brokerSocket: socket, brokerEvery: via === "mixed" ? 2 : 1 }) });

    const requests = Array.from({ length: N }, (_, id) => {
      const user = USERS[Math.floor(rnd() * USERS.length)]!;
      const r = rnd();
      const profile = r < 0.25 ? (rnd() < 0.8 ? "1g.10gb" : "2g.20gb") : null;
      return {
        id,
        request: { user, container: `c${id}`, count: profile ? 1 : 1 + Math.floor(rnd() * 2), profile, preferFull: !profile && rnd() < 0.4 },
        confirm: rnd() < 0.5, // half become "containers" no one's listing shows: their confirmed reservations must still count
      };
    });
    const answers = await pool.fire(requests);

    const granted = answers.filter((a) => a.ok);
    expect(answers.filter((a) => a.code === "error").map((a) => a.message)).toEqual([]);
    // No slot twice, and never a slot an existing container holds.
    const all = [...existing.flatMap((c) => c.identity.gpus), ...granted.flatMap((a) => a.uuids)];
    expect(new Set(all).size).toBe(all.length);
    // No quota exceeded by what was granted (a user may start over quota: an existing container, a
    // lowered limit; then nothing more may be granted to them).
    for (const user of USERS) {
      const l = limitsByUser[user]!;
      if (!granted.some((a) => requests[a.id]!.request.user === user)) continue;
      const held = sumWeights([
        ...existing.filter((c) => c.identity.owner === user).flatMap((c) => c.identity.gpus.map((u) => WEIGHT.get(u)!)),
        ...granted.filter((a) => requests[a.id]!.request.user === user).flatMap((a) => a.uuids.map((u) => WEIGHT.get(u)!)),
      ]);
      const ceiling = equivalentCeiling(l);
      if (ceiling) expect(lessOrEqual(held, ceiling.limit), `${user} holds ${held} > ${ceiling.limit}`).toBe(true);
      const containers = existing.filter((c) => c.identity.owner === user).length + granted.filter((a) => requests[a.id]!.request.user === user).length;
      if (l.max_containers_per_user !== null) expect(containers).toBeLessThanOrEqual(l.max_containers_per_user);
    }
    for (const a of granted) {
      const req = requests[a.id]!.request;
      const l = limitsByUser[req.user]!;
      expect(a.uuids).toHaveLength(req.count);
      if (l.max_gpu_slots_per_container !== null) expect(a.uuids.length).toBeLessThanOrEqual(l.max_gpu_slots_per_container);
      if (!l.allow_full_gpu) expect(a.uuids.every((u) => u.startsWith("MIG-"))).toBe(true);
      if (req.profile) expect(SLOTS.find((s) => s.uuid === a.uuids[0])!.profile).toBe(req.profile);
    }
    // Something was granted, and the store agrees with the answers.
    expect(granted.length).toBeGreaterThan(0);
    if (before) {
      // The broker really decided the requests sent to it (all, or every second worker's).
      const after = await broker.counts();
      expect(after.requests - before.requests).toBe(via === "broker" ? N : Math.ceil(N / 2));
    }
    const rdb = openReservationDb(dir);
    try {
      expect(rdb.store.all().map((r) => r.slotUuid).sort()).toEqual(granted.flatMap((a) => a.uuids).sort());
    } finally {
      rdb.close();
    }
  });
});

// The allocation broker over a real Unix socket and a real reservations database: what it answers,
// that those answers match the local path's, and every way of not using it (no daemon, a socket
// left behind, a broker that cannot decide now) falls back to deciding locally, while a broker that
// goes silent after a request is an error (it may have reserved).
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allocate, AllocationRefusedError, type AllocatorDeps, type Observation } from "../../src/allocation/allocator.js";
import { brokerClient } from "../../src/allocation/broker/client.js";
import { AllocationBroker } from "../../src/allocation/broker/server.js";
import { openReservationDb, type ReservationDb } from "../../src/allocation/reservation-store.js";
import { slotTable } from "../../src/allocation/slots.js";
import type { AuditEvent } from "../../src/model/audit-event.js";
import { TransientError } from "../../src/errors.js";
import { systemClock } from "../../src/util/clock.js";
import { holder, gpu, limits, migGpu } from "../helpers/fleet.js";

const GPUS = [gpu(0), migGpu(1, ["1g.10gb", "1g.10gb", "1g.10gb"])];
const SLOTS = slotTable(GPUS).slots;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

let dir: string;
let rdb: ReservationDb;
let broker: AllocationBroker | null;
let audited: AuditEvent[];
let view: Observation | { unavailable: string };

function deps(extra: Partial<AllocatorDeps> = {}): AllocatorDeps {
  return {
    reservations: rdb.store,
    clock: systemClock,
    limitsFor: () => limits({ max_gpu_equivalents: 1, max_gpu_slots_per_container: 2 }),
    listContainers: async () => [holder("held", "bob", [SLOTS[1]!.uuid])],
    inventory: async () => ({ gpus: GPUS, error: null }),
    ...extra,
  };
}

async function startBroker(allocator: () => AllocatorDeps = () => deps()): Promise<AllocationBroker> {
  const b = new AllocationBroker(join(dir, "allocation.sock"), { allocator, audit: (e) => audited.push(...e), observe: () => view, log: silent });
  await b.start();
  return b;
}

/** Sends raw bytes to the broker and returns the first answer line (parsed). */
async function rawAsk(path: string, bytes: string): Promise<Record<string, unknown>> {
  const line = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const s = connect(path);
    s.setEncoding("utf8");
    s.on("connect", () => s.write(bytes));
    s.on("data", (d: string) => {
      buf += d;
      if (buf.includes("\n")) resolve(buf.slice(0, buf.indexOf("\n")));
    });
    s.on("close", () => resolve(buf));
    s.on("error", reject);
  });
  return JSON.parse(line) as Record<string, unknown>;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ds01-broker-"));
  rdb = openReservationDb(dir);
  audited = [];
  broker = null;
  const now = Date.now();
  view = { slots: SLOTS, containers: [holder("held", "bob", [SLOTS[1]!.uuid])], listedAt: now, currentAt: now, source: "daemon" };
});

afterEach(async () => {
  await broker?.stop();
  rdb.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("allocation broker", () => {
  it("reserves through the socket, sees slots held in its view, and audits what it decided from", async () => {
    broker = await startBroker();
    const client = brokerClient(broker.path);
    const a = await allocate({ ...deps(), broker: client }, { user: "alice", container: "a1", count: 1, profile: "1g.10gb", preferFull: false });
    expect(a.uuids).toHaveLength(1);
    expect(a.uuids[0]).not.toBe(SLOTS[1]!.uuid); // bob's container holds that one
    expect(rdb.store.all().map((r) => r.slotUuid)).toEqual(a.uuids);
    expect(audited.map((e) => [e.type, e.details.decided_from])).toEqual([["gpu.allocate", "daemon"]]);
    expect(broker.counts.requests).toBe(1);
  });

  it("gives the same refusal, word for word, as deciding locally", async () => {
    broker = await startBroker();
    const ask = { user: "alice", container: "big", count: 4, profile: null, preferFull: true };
    const viaBroker = await allocate({ ...deps(), broker: brokerClient(broker.path) }, ask).catch((e: unknown) => e);
    const local = await allocate(deps(), ask).catch((e: unknown) => e);
    expect(viaBroker).toBeInstanceOf(AllocationRefusedError);
    expect(local).toBeInstanceOf(AllocationRefusedError);
    expect((viaBroker as AllocationRefusedError).rejection).toEqual((local as AllocationRefusedError).rejection);
    expect((viaBroker as Error).message).toMatch(/slots/);
    expect(rdb.store.all()).toEqual([]);
  });

  it("decides simultaneous requests one after another: never the same slot twice, never over quota", async () => {
    broker = await startBroker();
    const client = brokerClient(broker.path);
    const answers = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => allocate({ ...deps(), broker: client }, { user: `u${i % 3}`, container: `c${i}`, count: 1, profile: null, preferFull: false })),
    );
    const granted = answers.flatMap((a) => (a.status === "fulfilled" ? [a.value] : []));
    const uuids = granted.flatMap((a) => a.uuids);
    expect(new Set(uuids).size).toBe(uuids.length);
    expect(uuids).not.toContain(SLOTS[1]!.uuid);
    expect(uuids.length).toBe(SLOTS.length - 1); // 3 users × quota 1.0: the full GPU and the two free 1/7 slices
    for (const a of answers) if (a.status === "rejected") expect(a.reason).toBeInstanceOf(AllocationRefusedError);
    expect(broker.counts.requests).toBe(12);
  });

  it("falls back to a local decision when no broker listens, a dead daemon left its socket, or the broker has no current view", async () => {
    const path = join(dir, "allocation.sock");
    const reasons: string[] = [];
    const client = brokerClient(path, { onFallback: (why) => reasons.push(why) });
    const ask = (container: string) => allocate({ ...deps(), broker: client }, { user: "alice", container, count: 1, profile: "1g.10gb", preferFull: false });

    expect((await ask("none")).uuids).toHaveLength(1); // no socket at all
    const dead: Server = createServer();
    await new Promise<void>((r) => dead.listen(path, r));
    await new Promise<void>((r) => dead.close(() => r()));
    writeFileSync(join(dir, "not-a-socket"), "");
    expect((await allocate({ ...deps(), broker: brokerClient(join(dir, "not-a-socket")) }, { user: "carol", container: "x", count: 1, profile: null, preferFull: true })).uuids).toEqual([SLOTS[0]!.uuid]);

    broker = await startBroker();
    view = { unavailable: "Docker events since the daemon's last listing may have been missed" };
    const viaFallback = await ask("stale");
    expect(viaFallback.existing).toBe(false);
    expect(reasons).toEqual([expect.stringMatching(/ENOENT/), "Docker events since the daemon's last listing may have been missed"]);
    expect(broker.counts.requests).toBe(1);
    // The local decisions went into the same database.
    expect(new Set(rdb.store.all().map((r) => r.user))).toEqual(new Set(["alice", "carol"]));
  });

  it("a stale view is refused, not decided on", async () => {
    broker = await startBroker();
    view = { ...(view as Observation), currentAt: Date.now() - 10 * 60_000 };
    const e = await allocate({ ...deps(), broker: brokerClient(broker.path) }, { user: "alice", container: "old", count: 1, profile: null, preferFull: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TransientError);
    expect((e as Error).message).toMatch(/listing is \d+ s old/);
    expect(rdb.store.all()).toEqual([]);
  });

  it("answers a malformed or oversized line with an error naming the problem, and goes on serving", async () => {
    broker = await startBroker();
    const answer = await rawAsk(broker.path, '{"id":7,"op":"reserve","request":{"user":"","container":"c"}}\n');
    expect(answer).toMatchObject({ id: 7, ok: false });
    expect(answer.error).toMatch(/not a broker request/);
    expect(await rawAsk(broker.path, "null\n")).toMatchObject({ ok: false, error: expect.stringMatching(/not a broker request/) });
    expect(await rawAsk(broker.path, "x".repeat(70_000))).toMatchObject({ ok: false, error: expect.stringMatching(/longer than 65536 bytes/) });
    expect((await allocate({ ...deps(), broker: brokerClient(broker.path) }, { user: "alice", container: "after", count: 1, profile: null, preferFull: false })).uuids).toHaveLength(1);
  });

  it("creates its socket for root only", async () => {
    broker = await startBroker();
    expect(statSync(broker.path).mode & 0o777).toBe(0o600);
  });

  it("tells callers to decide themselves when someone else holds the allocation lock, instead of stalling", async () => {
    const short = openReservationDb(dir, { timeoutMs: 150 });
    const holder = new Database(join(dir, "allocation.sqlite"));
    try {
      broker = await startBroker(() => deps({ reservations: short.store }));
      holder.exec("BEGIN IMMEDIATE");
      const answer = await rawAsk(broker.path, JSON.stringify({ id: 3, op: "reserve", request: { user: "alice", container: "c", count: 1, profile: null, preferFull: false } }) + "\n");
      expect(answer).toMatchObject({ id: 3, unavailable: expect.stringMatching(/lock stayed busy for 150 ms/) });
      holder.exec("ROLLBACK");
      expect(rdb.store.all()).toEqual([]);
    } finally {
      holder.close();
      short.close();
    }
  });

  it("a broker that takes the request and never answers is an error, not a second decision", async () => {
    const path = join(dir, "silent.sock");
    const silentServer = createServer((s) => s.on("data", () => undefined));
    await new Promise<void>((r) => silentServer.listen(path, r));
    try {
      const e = await allocate({ ...deps(), broker: brokerClient(path, { timeoutMs: 300 }) }, { user: "alice", container: "c", count: 1, profile: null, preferFull: false }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TransientError);
      expect((e as Error).message).toMatch(/did not answer within 300 ms/);
      expect(rdb.store.all()).toEqual([]);
    } finally {
      await new Promise<void>((r) => silentServer.close(() => r()));
    }
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openStore, STORE_FILE, type Store } from "../../src/store/sqlite-store.js";
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from "../../src/store/migrations.js";
import { InvalidInputError } from "../../src/errors.js";
import { newRecord } from "../../src/model/record.js";
import { fixedClock } from "../../src/util/clock.js";
import { HOUR_MS, MINUTE_MS } from "../../src/util/duration.js";
import { T0, ev, tempDir } from "./helpers.js";
import { connectionForTests } from "../../src/store/sqlite-store.js";

let tmp: ReturnType<typeof tempDir>;
let stores: Store[];
const open = (...a: Parameters<typeof openStore>) => {
  const s = openStore(...a);
  stores.push(s);
  return s;
};

beforeEach(() => {
  tmp = tempDir();
  stores = [];
});
afterEach(() => {
  for (const s of stores) s.close();
  tmp.cleanup();
});

describe("opening and migrations", () => {
  it("creates the directory (0750) and the database, at the latest schema, in WAL mode", () => {
    const dir = join(tmp.dir, "nested", "state");
    const s = open(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o750);
    expect(existsSync(join(dir, STORE_FILE))).toBe(true);
    expect(s.schemaVersion).toBe(SCHEMA_VERSION);
    expect(connectionForTests(s).pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(connectionForTests(s).pragma("journal_mode", { simple: true })).toBe("wal");
    expect(connectionForTests(s).pragma("synchronous", { simple: true })).toBe(2); // FULL
    expect(connectionForTests(s).pragma("foreign_keys", { simple: true })).toBe(1);
    expect(Number(connectionForTests(s).pragma("busy_timeout", { simple: true }))).toBeGreaterThan(0);
    const tables = (connectionForTests(s).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(["events", "container_records", "gpu_samples", "meta"]));
  });

  it("re-opening is idempotent and keeps the data", () => {
    const a = open(tmp.dir);
    a.append(ev());
    a.meta.set("k", "v");
    a.close();
    const b = open(tmp.dir);
    expect(b.schemaVersion).toBe(SCHEMA_VERSION);
    expect(b.query({})).toHaveLength(1);
    expect(b.meta.get("k")).toBe("v");
  });

  it("applies only the migrations a database lacks, in order", () => {
    const first = MIGRATIONS.slice(0, 1);
    open(tmp.dir, { migrations: first }).close();
    const extra: Migration = { id: first.length + 1, name: "test extra", sql: "CREATE TABLE extra (x INTEGER);" };
    const s = open(tmp.dir, { migrations: [...first, extra] });
    expect(s.schemaVersion).toBe(2);
    expect(() => connectionForTests(s).prepare("SELECT x FROM extra").all()).not.toThrow();
  });

  it("a failing migration leaves the database at its previous version", () => {
    const first = MIGRATIONS.slice(0, 1);
    open(tmp.dir, { migrations: first }).close();
    const bad: Migration = { id: 2, name: "bad", sql: "CREATE TABLE half (x INTEGER); THIS IS NOT SQL;" };
    expect(() => openStore(tmp.dir, { migrations: [...first, bad] })).toThrow();
    const s = open(tmp.dir, { migrations: first });
    expect(s.schemaVersion).toBe(1);
    expect(connectionForTests(s).prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
  });

  it("refuses a database from a newer ds01, naming the file", () => {
    open(tmp.dir).close();
    const raw = new Database(join(tmp.dir, STORE_FILE));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    for (const readonly of [false, true]) {
      let err: unknown;
      try {
        openStore(tmp.dir, { readonly });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toContain(join(tmp.dir, STORE_FILE));
      expect((err as Error).message).toContain("newer");
    }
  });

  it("refuses a file that is not a database, naming it", () => {
    writeFileSync(join(tmp.dir, STORE_FILE), "this is not sqlite, just text that is long enough to have a header".repeat(20));
    expect(() => openStore(tmp.dir)).toThrow(InvalidInputError);
    expect(() => openStore(tmp.dir)).toThrow(STORE_FILE);
  });

  it("read-only: creates nothing, reads, and cannot write", () => {
    expect(() => openStore(join(tmp.dir, "none"), { readonly: true })).toThrow(InvalidInputError);
    expect(existsSync(join(tmp.dir, "none"))).toBe(false);
    const w = open(tmp.dir);
    w.append(ev());
    const r = open(tmp.dir, { readonly: true });
    expect(r.readonly).toBe(true);
    expect(r.query({})).toHaveLength(1);
    expect(() => r.append(ev())).toThrow();
  });
});

describe("events", () => {
  let s: Store;
  beforeEach(() => {
    s = open(tmp.dir);
    s.append(ev({ time: T0 + 3000, type: "container.idle_stop", user: "alice", container: "a1", containerId: "aaa111", details: { idle_h: 2 } }));
    s.append(ev({ time: T0 + 1000, type: "gpu.allocate", user: "bob", container: "b1", containerId: "bbb222", details: { slot: "0" } }));
    s.append(ev({ time: T0 + 2000, type: "container.idle_warning", user: "alice", container: "a2", containerId: "aaa333" }));
    s.append(ev({ time: T0 + 2000, type: "config.reloaded", user: null, container: null, containerId: null }));
    s.append(ev({ time: T0 + 4000, type: "container_x.thing", user: "carol", container: "c1", containerId: "ccc444" }));
  });

  it("round-trips every field", () => {
    const got = s.query({ type: "gpu.allocate" });
    expect(got).toEqual([{ time: T0 + 1000, type: "gpu.allocate", user: "bob", container: "b1", containerId: "bbb222", details: { slot: "0" } }]);
  });

  it("returns newest last, ties in insertion order", () => {
    expect(s.query({}).map((e) => e.time - T0)).toEqual([1000, 2000, 2000, 3000, 4000]);
    expect(s.query({}).map((e) => e.type).slice(1, 3)).toEqual(["container.idle_warning", "config.reloaded"]);
  });

  it.each([
    ["since (inclusive)", { since: T0 + 2000 }, ["container.idle_warning", "config.reloaded", "container.idle_stop", "container_x.thing"]],
    ["until (exclusive)", { until: T0 + 2000 }, ["gpu.allocate"]],
    ["since and until", { since: T0 + 2000, until: T0 + 3001 }, ["container.idle_warning", "config.reloaded", "container.idle_stop"]],
    ["user", { user: "alice" }, ["container.idle_warning", "container.idle_stop"]],
    ["container by name", { container: "b1" }, ["gpu.allocate"]],
    ["container by id prefix", { container: "aaa" }, ["container.idle_warning", "container.idle_stop"]],
    ["container by full id", { container: "aaa111" }, ["container.idle_stop"]],
    ["container: no partial name match", { container: "1" }, []],
    ["type exact", { type: "container.idle_stop" }, ["container.idle_stop"]],
    ["type category with dot", { type: "container." }, ["container.idle_warning", "container.idle_stop"]],
    ["type category without dot", { type: "container" }, ["container.idle_warning", "container.idle_stop"]],
    ["type: no partial action match", { type: "container.idle" }, []],
    ["limit keeps the newest, still newest last", { limit: 2 }, ["container.idle_stop", "container_x.thing"]],
    ["limit with a filter", { user: "alice", limit: 1 }, ["container.idle_stop"]],
    ["everything combined", { since: T0, user: "alice", type: "container.", container: "aaa", limit: 5 }, ["container.idle_warning", "container.idle_stop"]],
  ] as const)("filters by %s", (_name, filter, types) => {
    expect(s.query(filter).map((e) => e.type)).toEqual(types);
  });

  it("treats LIKE wildcards literally", () => {
    expect(s.query({ container: "%" })).toEqual([]);
    expect(s.query({ type: "%." })).toEqual([]);
  });
});

describe("container records", () => {
  it("put/get/all/delete, keyed by container id", () => {
    const clock = fixedClock(T0);
    const s = open(tmp.dir, { clock });
    const r1 = { ...newRecord("id1", "same-name", "alice", T0), idleStreak: 3, lastCpu: { value: 10, at: T0 } };
    const r2 = newRecord("id2", "same-name", "alice", T0 + 1);
    s.put(r1);
    s.put(r2);
    expect(s.get("id1")).toEqual(r1);
    expect(s.get("nope")).toBeNull();
    expect(s.all().map((r) => r.containerId)).toEqual(["id1", "id2"]);
    s.put({ ...r1, idleStreak: 4 });
    expect(s.get("id1")!.idleStreak).toBe(4);
    expect(connectionForTests(s).prepare("SELECT updated_at FROM container_records WHERE container_id = 'id1'").get()).toEqual({ updated_at: T0 });
    s.delete("id1");
    expect(s.get("id1")).toBeNull();
    expect(s.all()).toHaveLength(1);
  });

  it("commit writes records and events together", () => {
    const s = open(tmp.dir);
    s.commit([newRecord("id1", "n", "u", T0)], [ev({ details: { a: 1 } }), ev({ details: { a: 2 } })]);
    expect(s.get("id1")).not.toBeNull();
    expect(s.query({}).map((e) => e.details)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("commit is atomic: a failure part-way leaves nothing", () => {
    const s = open(tmp.dir);
    s.put({ ...newRecord("id0", "n", "u", T0), idleStreak: 1 });
    const bad = ev({ time: Number.NaN });
    expect(() => s.commit([{ ...newRecord("id0", "n", "u", T0), idleStreak: 9 }, newRecord("id1", "n", "u", T0)], [ev(), bad])).toThrow();
    expect(s.get("id0")!.idleStreak).toBe(1);
    expect(s.get("id1")).toBeNull();
    expect(s.query({})).toEqual([]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => s.commit([newRecord("id2", "n", "u", T0)], [ev({ details: cyclic })])).toThrow();
    expect(s.get("id2")).toBeNull();
  });

  it("a damaged row reads as no record; rows without newer fields get their defaults", () => {
    const s = open(tmp.dir);
    connectionForTests(s).prepare("INSERT INTO container_records VALUES ('bad', '{not json', 0), ('half', ?, 0)").run(
      JSON.stringify({ containerId: "half", name: "n", owner: "u", firstSeenAt: T0, idleStreak: 2 }),
    );
    expect(s.get("bad")).toBeNull();
    expect(s.get("half")).toEqual({ ...newRecord("half", "n", "u", T0), idleStreak: 2 });
    expect(s.all().map((r) => r.containerId)).toEqual(["half"]);
  });
});

describe("gpu samples and meta", () => {
  it("keeps a bounded window per GPU, unknown utilisation as null", () => {
    const s = open(tmp.dir);
    for (let i = 0; i <= 90; i += 10) s.recordGpuSample("GPU-a", T0 + i * MINUTE_MS, i === 50 ? null : i);
    s.recordGpuSample("GPU-b", T0, Number.NaN);
    const a = s.gpuSamplesSince("GPU-a", 0);
    expect(a[0]!.at).toBe(T0 + 90 * MINUTE_MS - HOUR_MS); // older than 1 h before the newest: pruned
    expect(a.map((x) => x.utilPct)).toEqual([30, 40, null, 60, 70, 80, 90]);
    expect(s.gpuSamplesSince("GPU-a", T0 + 75 * MINUTE_MS).map((x) => x.utilPct)).toEqual([80, 90]);
    expect(s.gpuSamplesSince("GPU-b", 0)).toEqual([{ at: T0, utilPct: null }]);
  });

  it("meta get/set", () => {
    const s = open(tmp.dir);
    expect(s.meta.get("x")).toBeNull();
    s.meta.set("x", "1");
    s.meta.set("x", "2");
    expect(s.meta.get("x")).toBe("2");
  });
});

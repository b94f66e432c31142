// `ds01 events` through the real dispatcher, with a captured context.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";
import { defaultContext } from "../../src/cli/main.js";
import { openStore } from "../../src/store/sqlite-store.js";
import { fixedClock } from "../../src/util/clock.js";
import { HOUR_MS, MINUTE_MS } from "../../src/util/duration.js";
import { T0, ev, tempDir } from "./helpers.js";
import { connectionForTests } from "../../src/store/sqlite-store.js";

let tmp: ReturnType<typeof tempDir>;
const NOW = T0 + 10 * HOUR_MS;

function ds01(args: string[]) {
  return runCli(args, { userName: defaultContext().userName, env: { HOME: tmp.dir }, clock: fixedClock(NOW) });
}

beforeEach(() => {
  tmp = tempDir();
  const s = openStore(join(tmp.dir, "state"));
  s.append(ev({ time: NOW - 3 * HOUR_MS, type: "gpu.allocate", user: "bob", container: "b1", containerId: "bbb222", details: { slot: "0", gpueq: 1 } }));
  s.append(ev({ time: NOW - 90 * MINUTE_MS, type: "container.idle_warning", user: "alice", container: "a1", containerId: "aaa111", details: { idle_m: 45 } }));
  s.append(ev({ time: NOW - 30 * MINUTE_MS, type: "container.idle_stop", user: "alice", container: "a1", containerId: "aaa111", details: { reason: "idle for 2h", gpu_util: 0.5 } }));
  s.append(ev({ time: NOW - 10 * MINUTE_MS, type: "config.reloaded", user: null, container: null, containerId: null }));
  s.close();
});
afterEach(() => tmp.cleanup());

const state = () => ["--state-dir", join(tmp.dir, "state")];

describe("ds01 events --json", () => {
  it("prints every event, newest last, in the contract's shape", async () => {
    const r = await ds01([...state(), "events", "--json"]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    const doc = JSON.parse(r.out);
    expect(Object.keys(doc)).toEqual(["events"]);
    expect(doc.events).toHaveLength(4);
    expect(doc.events[2]).toEqual({
      time: new Date(NOW - 30 * MINUTE_MS).toISOString(),
      type: "container.idle_stop",
      user: "alice",
      container: "a1",
      container_id: "aaa111",
      details: { reason: "idle for 2h", gpu_util: 0.5 },
    });
    expect(doc.events.map((e: { time: string }) => e.time)).toEqual([...doc.events.map((e: { time: string }) => e.time)].sort());
    expect(doc.events[3]).toMatchObject({ type: "config.reloaded", user: null, container: null, container_id: null, details: {} });
  });

  it.each([
    [["--since", "2h"], ["container.idle_warning", "container.idle_stop", "config.reloaded"]],
    [["--since", "2h", "--until", "20m"], ["container.idle_warning", "container.idle_stop"]],
    [["--since", new Date(NOW - 40 * MINUTE_MS).toISOString()], ["container.idle_stop", "config.reloaded"]],
    [["--user", "alice"], ["container.idle_warning", "container.idle_stop"]],
    [["--container", "a1"], ["container.idle_warning", "container.idle_stop"]],
    [["--container", "bbb"], ["gpu.allocate"]],
    [["--type", "container."], ["container.idle_warning", "container.idle_stop"]],
    [["--type", "gpu"], ["gpu.allocate"]],
    [["--type", "container.idle_stop"], ["container.idle_stop"]],
    [["--limit", "2"], ["container.idle_stop", "config.reloaded"]],
    [["--user", "nobody"], []],
  ])("filters %j", async (args, types) => {
    const r = await ds01([...state(), "events", ...args, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).events.map((e: { type: string }) => e.type)).toEqual(types);
  });
});

describe("ds01 events table", () => {
  it("prints one aligned row per event with a details summary", async () => {
    const r = await ds01([...state(), "events", "--user", "alice"]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^TIME\s+TYPE\s+USER\s+CONTAINER\s+DETAILS$/);
    expect(lines[2]).toContain("2025-01-31 21:30:00Z");
    expect(lines[2]).toContain("container.idle_stop");
    expect(lines[2]).toContain('reason="idle for 2h" gpu_util=0.5');
    expect(lines[1]!.indexOf("alice")).toBe(lines[2]!.indexOf("alice"));
  });

  it("says so when nothing matches", async () => {
    const r = await ds01([...state(), "events", "--user", "nobody"]);
    expect(r).toMatchObject({ code: 0, out: "no events\n" });
  });
});

describe("ds01 events --export-jsonl", () => {
  it("writes the filtered events in the original's line format", async () => {
    const file = join(tmp.dir, "out.jsonl");
    const r = await ds01([...state(), "events", "--type", "container", "--export-jsonl", file]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("wrote 2 events");
    const lines = readFileSync(file, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({
      timestamp: new Date(NOW - 30 * MINUTE_MS).toISOString().replace("Z", "000Z"),
      event_type: "container.idle_stop",
      schema_version: "1",
      user: "alice",
      source: "ds01",
      details: { reason: "idle for 2h", gpu_util: 0.5, container: "a1", container_id: "aaa111" },
    });
  });

  it("'-' writes the lines to stdout", async () => {
    const r = await ds01([...state(), "events", "--limit", "1", "--export-jsonl", "-"]);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(r.out).event_type).toBe("config.reloaded");
  });
});

describe("ds01 events: missing store and bad input", () => {
  it("a missing state directory is an empty list, a note on stderr, exit 0", async () => {
    const missing = join(tmp.dir, "nothing-here");
    const r = await ds01(["--state-dir", missing, "events", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ events: [] });
    expect(r.err).toContain(missing);
  });

  it("reads the system's store (/var/lib/ds01) for a non-root user without --state-dir, never a private one", async () => {
    const r = await ds01(["events", "--json"]);
    expect(r.err).toContain("/var/lib/ds01");
    expect(r.err).not.toContain(join(tmp.dir, ".local"));
  });

  it.each([
    [["--since", "soon"], /--since/],
    [["--until", "-3h"], /--until/],
    [["--since", "2025-13-45T00:00:00Z"], /--since/],
    [["--limit", "0"], /--limit/],
    [["--limit", "x"], /--limit/],
    [["--bogus"], /bogus/],
    [["extra"], /unexpected argument/],
  ])("%j → exit 2 with a message", async (args, message) => {
    const r = await ds01([...state(), "events", ...args]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(message);
  });

  it("a store from a newer ds01 → exit 2 naming the file", async () => {
    const s = openStore(join(tmp.dir, "state"));
    connectionForTests(s).pragma("user_version = 999");
    s.close();
    const r = await ds01([...state(), "events"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(join(tmp.dir, "state", "ds01.sqlite"));
  });
});

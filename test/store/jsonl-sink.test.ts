import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createJsonlSink, withJsonlMirror } from "../../src/store/jsonl-sink.js";
import { openStore } from "../../src/store/sqlite-store.js";
import { newRecord } from "../../src/model/record.js";
import type { AuditEvent } from "../../src/model/audit-event.js";
import { T0, ev, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const lines = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("JSONL sink", () => {
  it("appends one line per event, creating the file and its directory", () => {
    const path = join(tmp.dir, "log", "events.jsonl");
    const sink = createJsonlSink(path);
    expect(sink.write(ev({ details: { a: 1 } }))).toBeNull();
    expect(sink.write(ev({ type: "gpu.allocate", user: null }))).toBeNull();
    const got = lines(path);
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ event_type: "container.idle_stop", user: "alice", details: { a: 1, container: "alice-job" } });
    expect(got[1]).not.toHaveProperty("user");
  });

  it("returns an error instead of throwing when it cannot write", () => {
    const path = join(tmp.dir, "x.jsonl");
    mkdirSync(path); // a directory where the file should be: fails even as root
    const sink = createJsonlSink(path);
    expect(sink.write(ev())).toBeInstanceOf(Error);
  });

  it("reports an event too large even when truncated", () => {
    const sink = createJsonlSink(join(tmp.dir, "e.jsonl"));
    expect(sink.write(ev({ type: "x".repeat(5000) as AuditEvent["type"] }))).toBeInstanceOf(Error);
  });
});

describe("mirroring", () => {
  it("the store mirrors append() and commit() events after storing them", () => {
    const path = join(tmp.dir, "events.jsonl");
    const store = openStore(join(tmp.dir, "state"), { mirror: createJsonlSink(path) });
    try {
      store.append(ev({ details: { n: 1 } }));
      store.commit([newRecord("id", "n", "u", T0)], [ev({ details: { n: 2 } }), ev({ details: { n: 3 } })]);
      expect(lines(path).map((l) => (l.details as { n: number }).n)).toEqual([1, 2, 3]);
    } finally {
      store.close();
    }
  });

  it("a failing mirror never loses the SQLite record and reports the error", () => {
    const path = join(tmp.dir, "events.jsonl");
    const errors: string[] = [];
    const store = openStore(join(tmp.dir, "state"), {
      mirror: createJsonlSink(path),
      onMirrorError: (e, event) => errors.push(`${event.type}: ${e.message}`),
    });
    try {
      // Make the mirror path a directory: every write fails, even as root.
      mkdirSync(path);
      expect(() => store.append(ev())).not.toThrow();
      expect(() => store.commit([], [ev()])).not.toThrow();
      expect(store.query({})).toHaveLength(2);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatch(/^container\.idle_stop: /);
    } finally {
      store.close();
    }
  });

  it("withJsonlMirror wraps any EventStore; a throwing error handler is contained", () => {
    const store = openStore(join(tmp.dir, "state"));
    try {
      const mirrored = withJsonlMirror(store, createJsonlSink(join(tmp.dir, "d")), () => {
        throw new Error("handler broke");
      });
      mkdirSync(join(tmp.dir, "d"));
      expect(() => mirrored.append(ev())).not.toThrow();
      expect(mirrored.query({})).toHaveLength(1);
      const ok = withJsonlMirror(store, createJsonlSink(join(tmp.dir, "ok.jsonl")));
      ok.append(ev({ details: { z: 1 } }));
      expect(lines(join(tmp.dir, "ok.jsonl"))).toHaveLength(1);
      expect(store.query({})).toHaveLength(2);
    } finally {
      store.close();
    }
  });
});

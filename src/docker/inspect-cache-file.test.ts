import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { InspectBody, ListEntry } from "./engine-schema.js";
import { InspectCache, SETTLE_MS } from "./inspect-cache.js";
import { readInspectCacheFile, writeInspectCacheFile } from "./inspect-cache-file.js";

const T = Date.parse("2024-05-01T12:00:00Z");
const dir = mkdtempSync(join(tmpdir(), "ds01-inspect-cache-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const body = (Id: string): InspectBody => ({ Id, State: { Status: "running", Pid: 42, StartedAt: new Date(T - 2 * SETTLE_MS).toISOString() }, Config: { Labels: { "ds01.user": "alice" } } });
const entry = (Id: string): ListEntry => ({ Id, State: "running", Status: "Up 4 minutes" });

describe("inspect cache file", () => {
  it("carries entries to another process's cache, which reuses them by the same rule", () => {
    const file = join(dir, "roundtrip.json");
    const first = new InspectCache(300_000, () => T);
    first.put(entry("a"), body("a"), T);
    first.put(entry("b"), body("b"), T);
    writeInspectCacheFile(file, first.takeChanges().entries);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const later = new InspectCache(300_000, () => T + 60_000);
    later.load(readInspectCacheFile(file));
    expect(later.get(entry("a"))).toEqual(body("a"));
    expect(later.get({ ...entry("b"), Status: "Up 1 second" })).toBeNull(); // restarted: inspected again
    expect(later.takeChanges().changed).toBe(false);
    const expired = new InspectCache(300_000, () => T + 300_001);
    expired.load(readInspectCacheFile(file));
    expect(expired.get(entry("a"))).toBeNull();
    expired.dropExpired();
    expect(expired.takeChanges()).toEqual({ entries: [], changed: true });
  });

  it("reads as empty: missing, writable by others, another format, malformed bodies, not JSON", () => {
    expect(readInspectCacheFile(join(dir, "missing.json"))).toEqual([]);
    const file = join(dir, "shared.json");
    writeInspectCacheFile(file, [{ body: body("a"), key: "k", fetchedAt: T }]);
    expect(readInspectCacheFile(file)).toHaveLength(1);
    chmodSync(file, 0o622);
    expect(readInspectCacheFile(file)).toEqual([]);
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ format: 99, entries: JSON.parse(readFileSync(file, "utf8")).entries }), { mode: 0o600 });
    expect(readInspectCacheFile(other)).toEqual([]);
    writeFileSync(other, JSON.stringify({ format: 1, entries: [{ body: { Id: "x" }, key: "k", fetchedAt: T }, { body: body("b"), key: 3, fetchedAt: T }] }), { mode: 0o600 });
    expect(readInspectCacheFile(other)).toEqual([]);
    writeFileSync(other, "{", { mode: 0o600 });
    expect(readInspectCacheFile(other)).toEqual([]);
  });

  it("a directory it may not write is no error", () => {
    expect(() => writeInspectCacheFile(join(dir, "no-such-dir", "c.json"), [])).not.toThrow();
  });
});

import { describe, expect, it } from "vitest";
import type { InspectBody, ListEntry } from "./engine-schema.js";
import { InspectCache, SETTLE_MS, cacheKey, reusable, type CachedInspect } from "./inspect-cache.js";

const T = Date.parse("2024-05-01T12:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
const MAX_AGE = 300_000;

function body(state: string, startedAt: number | null, finishedAt: number | null = null): InspectBody {
  return {
    Id: "abc",
    State: {
      Status: state,
      Pid: state === "running" ? 42 : 0,
      StartedAt: startedAt === null ? "0001-01-01T00:00:00Z" : iso(startedAt),
      FinishedAt: finishedAt === null ? "0001-01-01T00:00:00Z" : iso(finishedAt),
    },
  };
}
const entry = (State: string, Status: string | null, Id = "abc"): ListEntry => ({ Id, State, Status });
const cached = (b: InspectBody, e: ListEntry, fetchedAt: number): CachedInspect => ({ body: b, key: cacheKey(e)!, fetchedAt });

describe("reusable", () => {
  const settledRun = body("running", T - 3 * 3_600_000);
  it.each([
    ["same entry, settled running container", cached(settledRun, entry("running", "Up 3 hours"), T), entry("running", "Up 3 hours"), T + 60_000, true],
    ["status text changed (restart shows seconds again)", cached(settledRun, entry("running", "Up 3 hours"), T), entry("running", "Up 20 seconds"), T + 60_000, false],
    ["state changed (exited)", cached(settledRun, entry("running", "Up 3 hours"), T), entry("exited", "Exited (0) 2 seconds ago"), T + 60_000, false],
    ["too old", cached(settledRun, entry("running", "Up 3 hours"), T), entry("running", "Up 3 hours"), T + MAX_AGE + 1, false],
    ["clock went backwards", cached(settledRun, entry("running", "Up 3 hours"), T), entry("running", "Up 3 hours"), T - 1, false],
    ["young container: always inspected", cached(body("running", T - 40_000), entry("running", "Up 40 seconds"), T), entry("running", "Up 40 seconds"), T + 1000, false],
    ["just settled", cached(body("running", T - SETTLE_MS), entry("running", "Up 2 minutes"), T), entry("running", "Up 2 minutes"), T + 1000, true],
    ["settled exited container", cached(body("exited", T - 7_200_000, T - 3_600_000), entry("exited", "Exited (0) About an hour ago"), T), entry("exited", "Exited (0) About an hour ago"), T + 1000, true],
    ["recently exited container", cached(body("exited", T - 7_200_000, T - 5_000), entry("exited", "Exited (0) 5 seconds ago"), T), entry("exited", "Exited (0) 5 seconds ago"), T + 1000, false],
    ["created container", cached(body("created", null), entry("created", "Created"), T), entry("created", "Created"), T + 1000, true],
    ["another container's body", cached(settledRun, entry("running", "Up 3 hours"), T), entry("running", "Up 3 hours", "other"), T + 1000, false],
    ["removing: always inspected", cached(settledRun, entry("removing", "Removal In Progress"), T), entry("removing", "Removal In Progress"), T + 1000, false],
  ] as const)("%s → %s", (_c, c, e, now, ok) => expect(reusable(c, e, now, MAX_AGE)).toBe(ok));

  it("no status text: nothing to compare, never cached", () => {
    expect(cacheKey(entry("running", null))).toBeNull();
    const cache = new InspectCache(MAX_AGE, () => T);
    cache.put(entry("running", null), settledRun, T);
    expect(cache.size).toBe(0);
  });
});

describe("InspectCache", () => {
  it("serves, invalidates, retains and can be disabled", () => {
    let now = T;
    const cache = new InspectCache(MAX_AGE, () => now);
    const e = entry("running", "Up 3 hours");
    cache.put(e, body("running", T - 3 * 3_600_000), T);
    now += 1000;
    expect(cache.get(e)).not.toBeNull();
    cache.invalidate("abc");
    expect(cache.get(e)).toBeNull();
    cache.put(e, body("running", T - 3 * 3_600_000), T);
    cache.retain(new Set(["other"]));
    expect(cache.size).toBe(0);
    const off = new InspectCache(0, () => now);
    off.put(e, body("running", T - 3 * 3_600_000), T);
    expect(off.get(e)).toBeNull();
  });
});

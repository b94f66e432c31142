import { describe, expect, it } from "vitest";
import { health, type HealthInput } from "./health.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const base: HealthInput = { now: T0 + 10_000, startedAt: T0, passIntervalMs: 300_000, dockerError: null, eventStreamError: null, gpuError: null, lastSuccessfulPassAt: T0 + 1000, passRunningSince: null, configWarning: null };

describe("health", () => {
  it.each([
    ["all fine", {}, []],
    ["docker down (the stream error is implied)", { dockerError: "connect ENOENT", eventStreamError: "ended" }, ["docker unreachable: connect ENOENT"]],
    ["only the event stream down", { eventStreamError: "event stream ended" }, ["docker event stream down: event stream ended"]],
    ["nvidia-smi hanging", { gpuError: "timed out after 10000 ms" }, ["GPU probe failing: timed out after 10000 ms"]],
    ["the store failing (a full disk) is the store, not the GPU probe", { storeError: "recording GPU samples: database or disk is full" }, ["store failing: recording GPU samples: database or disk is full"]],
    ["passes stale", { now: T0 + 1000 + 900_001 }, ["last successful pass 900 s ago (more than 3 pass intervals)"]],
    ["never a good pass, long after start", { lastSuccessfulPassAt: null, now: T0 + 900_001 }, ["no successful pass since the start 900 s ago"]],
    ["never a good pass, just started", { lastSuccessfulPassAt: null, now: T0 + 5000 }, []],
  ] as const)("%s", (_l, over, reasons) => {
    const h = health({ ...base, ...over });
    expect(h.reasons).toEqual(reasons);
    expect(h.status).toBe(reasons.length ? "degraded" : "ok");
  });

  it("keeps status ok for a refused config edit, with a warning", () => {
    const h = health({ ...base, configWarning: "config reload failed: x.yaml:3:1: ..." });
    expect(h.status).toBe("ok");
    expect(h.warnings).toEqual(["config reload failed: x.yaml:3:1: ..."]);
  });
});

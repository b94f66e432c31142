import { describe, expect, it } from "vitest";
import { container, gpuUuid, T0 } from "../../test/helpers/fleet.js";
import { canRunProcesses, notStopped } from "../model/container.js";
import { DIE_GUARD_MS, Fleet } from "./fleet.js";

describe("the two meanings of a live container", () => {
  it.each([
    ["running", true, true],
    ["created", true, false],
    ["paused", true, true],
    ["restarting", true, true],
    ["exited", false, false],
    ["dead", false, false],
    ["removing", false, false],
  ] as const)("%s: not stopped %s, can run processes %s", (state, unstopped, processes) => {
    expect(notStopped(state)).toBe(unstopped);
    expect(canRunProcesses(state)).toBe(processes);
  });
});

describe("Fleet", () => {
  it("reports GPU containers that stopped or vanished between two listings (missed events)", () => {
    const f = new Fleet();
    const a = container({ id: "a", gpus: [gpuUuid(0)] });
    const b = container({ id: "b", gpus: [gpuUuid(1)] });
    const cpu = container({ id: "cpu", gpus: [] });
    const old = container({ id: "old", gpus: [gpuUuid(2)], state: "exited" });
    expect(f.replace([a, b, cpu, old], T0)).toEqual({ stopped: [], gone: [] });
    const r = f.replace([{ ...a, state: "exited" }, old], T0 + 1);
    expect(r.stopped.map((c) => c.id)).toEqual(["a"]);
    expect(r.gone.map((c) => c.id)).toEqual(["b"]);
    expect(f.size).toBe(2);
  });

  it("reports nothing on the first listing (a restarted daemon has no memory of earlier states)", () => {
    const f = new Fleet();
    expect(f.lastListedAt).toBeNull();
    expect(f.replace([container({ state: "exited" })], T0)).toEqual({ stopped: [], gone: [] });
    expect(f.lastListedAt).toBe(T0);
  });

  it("marks a container stopped at once and returns it as it was", () => {
    const f = new Fleet();
    const a = container({ id: "a" });
    f.replace([a], T0);
    expect(f.markStopped("a", T0 + 5, T0 + 4)?.state).toBe("running");
    expect(f.get("a")).toMatchObject({ state: "exited", pid: null, finishedAt: T0 + 4 });
    expect(f.markStopped("unknown", T0, T0)).toBeUndefined();
    expect(f.forget("a", T0 + 6)?.state).toBe("exited");
    expect(f.get("a")).toBeUndefined();
  });

  it("drops an inspect answer that is older than a later event", () => {
    const f = new Fleet();
    const g = f.bump("x", T0); // start event: inspect asked at generation g
    f.markStopped("x", T0 + 1, T0 + 1); // die arrives before the inspect answer
    expect(f.upsert(container({ id: "x" }), g)).toBe(false);
    expect(f.get("x")).toBeUndefined();
    const g2 = f.bump("x", T0 + 2);
    expect(f.upsert(container({ id: "x", state: "exited" }), g2)).toBe(true);
    expect(f.get("x")?.state).toBe("exited");
  });

  it("keeps what an event said over a listing that started before it, and reports no second exit", () => {
    const f = new Fleet();
    const a = container({ id: "a", gpus: [gpuUuid(0)] });
    const gone = container({ id: "gone", gpus: [gpuUuid(1)] });
    f.replace([a, gone], T0);
    f.markStopped("a", T0 + 20, T0 + 20); // die seen while a pass that listed at T0+10 was running
    f.forget("gone", T0 + 20);
    const born = container({ id: "born", gpus: [] });
    const g = f.bump("born", T0 + 20);
    f.upsert(born, g);
    expect(f.replace([a, gone], T0 + 10)).toEqual({ stopped: [], gone: [] });
    expect(f.get("a")?.state).toBe("exited");
    expect(f.get("gone")).toBeUndefined();
    expect(f.get("born")).toBeDefined();
    // The next listing, after the events, is taken as it is and reports nothing new either.
    expect(f.replace([{ ...a, state: "exited" }, born], T0 + 30)).toEqual({ stopped: [], gone: [] });
  });

  it("does not let a listing taken after `die` but before Docker recorded the exit revive the container", () => {
    const f = new Fleet();
    const a = container({ id: "a", gpus: [gpuUuid(0)], startedAt: T0 - 100 });
    f.replace([a], T0);
    f.markStopped("a", T0 + 20, T0 + 19);
    // Docker 20.10 still lists it as running just after the die event (same start time).
    expect(f.replace([a], T0 + 25)).toEqual({ stopped: [], gone: [] });
    expect(f.get("a")).toMatchObject({ state: "exited", pid: null, finishedAt: T0 + 19 });
    // An inspect answer that lags the same way is corrected too.
    const g = f.generation("a");
    expect(f.upsert(a, g)).toBe(true);
    expect(f.get("a")?.state).toBe("exited");
    // Docker catches up: no second exit is reported.
    expect(f.replace([{ ...a, state: "exited" }], T0 + 30)).toEqual({ stopped: [], gone: [] });
    // After that, a running listing is believed again, and its exit reported by the next listing.
    expect(f.replace([a], T0 + 40)).toEqual({ stopped: [], gone: [] });
    expect(f.get("a")?.state).toBe("running");
    expect(f.replace([{ ...a, state: "exited" }], T0 + 50).stopped.map((c) => c.id)).toEqual(["a"]);
  });

  it("believes a listing that shows a start after the die (a genuine restart)", () => {
    const f = new Fleet();
    const a = container({ id: "a", gpus: [gpuUuid(0)], startedAt: T0 - 100 });
    f.replace([a], T0);
    f.markStopped("a", T0 + 20, T0 + 19);
    f.replace([{ ...a, startedAt: T0 + 22 }], T0 + 25);
    expect(f.get("a")?.state).toBe("running");
  });

  it("keeps guarding a die that came after the listing began, and stops guarding after DIE_GUARD_MS", () => {
    const f = new Fleet();
    const a = container({ id: "a", gpus: [gpuUuid(0)], startedAt: T0 - 100 });
    f.replace([a], T0);
    f.markStopped("a", T0 + 20, T0 + 19);
    // A listing that began before the die lacks nothing but cannot confirm it: the guard stays.
    f.replace([], T0 + 10);
    const g = f.generation("a");
    f.upsert(a, g); // a late inspect that still says running
    expect(f.get("a")?.state).toBe("exited");
    // Docker contradicting the die for longer than the guard's limit wins.
    f.replace([a], T0 + 20 + DIE_GUARD_MS + 1);
    expect(f.get("a")?.state).toBe("running");
  });
});

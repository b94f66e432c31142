import { describe, expect, it } from "vitest";
import { container, gpuUuid, T0 } from "../../test/helpers/fleet.js";
import { Fleet, isLive } from "./fleet.js";

describe("isLive", () => {
  it.each([
    ["running", true],
    ["created", true],
    ["paused", true],
    ["restarting", true],
    ["exited", false],
    ["dead", false],
    ["removing", false],
  ] as const)("%s → %s", (state, live) => expect(isLive(state)).toBe(live));
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
    expect(f.markStopped("a", T0 + 5)?.state).toBe("running");
    expect(f.get("a")).toMatchObject({ state: "exited", pid: null, finishedAt: T0 + 5 });
    expect(f.markStopped("unknown", T0)).toBeUndefined();
    expect(f.forget("a")?.state).toBe("exited");
    expect(f.get("a")).toBeUndefined();
  });

  it("drops an inspect answer that is older than a later event", () => {
    const f = new Fleet();
    const g = f.bump("x"); // start event: inspect asked at generation g
    f.markStopped("x", T0); // die arrives before the inspect answer
    expect(f.upsert(container({ id: "x" }), g)).toBe(false);
    expect(f.get("x")).toBeUndefined();
    const g2 = f.bump("x");
    expect(f.upsert(container({ id: "x", state: "exited" }), g2)).toBe(true);
    expect(f.get("x")?.state).toBe("exited");
  });
});

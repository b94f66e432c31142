import { describe, expect, it } from "vitest";
import { flush, manualTimers } from "../../test/helpers/manual-timers.js";
import { fixedClock } from "../util/clock.js";
import { GpuQueue, type Attempt, type QueueOutcome, type WaitingView } from "./gpu-queue.js";

/** A pool of `free` interchangeable slots; each served request takes `count` of them. */
function pool(free = 0) {
  const state = { free, tries: 0 };
  const attempt = (label: string, count = 1) => async (): Promise<Attempt<string>> => {
    state.tries++;
    if (state.free >= count) {
      state.free -= count;
      return { kind: "done", value: label };
    }
    return { kind: "wait", reason: `only ${state.free} free, ${count} requested` };
  };
  return { state, attempt };
}

function setup() {
  const clock = fixedClock(1_000_000);
  const t = manualTimers(clock);
  const changes: WaitingView[][] = [];
  const discarded: string[] = [];
  const q = new GpuQueue<string>({ clock, timers: t.timers, onChange: (w) => changes.push(w), discard: (v) => discarded.push(v) });
  return { clock, t, q, changes, discarded };
}

/** Starts requests in this order, each after the previous one joined the queue. */
const joined: [string, number][] = [];

async function enqueue(q: GpuQueue<string>, p: ReturnType<typeof pool>, asks: { user: string; label: string; count?: number; signal?: AbortSignal }[], waitMs = 60_000) {
  const outcomes: Promise<QueueOutcome<string>>[] = [];
  for (const a of asks) {
    outcomes.push(q.admit({ user: a.user, container: a.label, count: a.count ?? 1 }, p.attempt(a.label, a.count), { waitMs, signal: a.signal, onJoin: (pos) => joined.push([a.label, pos]) }));
    await flush();
  }
  return outcomes;
}

describe("GpuQueue", () => {
  it("serves at once, without queueing, when nobody waits and a slot is free", async () => {
    const { q } = setup();
    const p = pool(1);
    const [o] = await enqueue(q, p, [{ user: "alice", label: "a1" }]);
    expect(await o).toEqual({ kind: "done", value: "a1", waitedMs: 0, queued: false, trigger: null });
    expect(q.length).toBe(0);
  });

  it("refuses at once with the allocator's reason when waiting is off (0 s)", async () => {
    const { q } = setup();
    const p = pool(0);
    const [o] = await enqueue(q, p, [{ user: "alice", label: "a1" }], 0);
    expect(await o).toEqual({ kind: "timeout", reason: "only 0 free, 1 requested", waitedMs: 0, queued: false });
    expect(q.length).toBe(0);
  });

  it("serves round-robin across users, each user's requests in order, one per freed slot", async () => {
    const { q } = setup();
    const p = pool(0);
    const outcomes = await enqueue(q, p, [
      { user: "alice", label: "a1" },
      { user: "alice", label: "a2" },
      { user: "alice", label: "a3" },
      { user: "bob", label: "b1" },
      { user: "carol", label: "c1" },
    ]);
    expect(q.waiting().map((w) => w.container)).toEqual(["a1", "b1", "c1", "a2", "a3"]);
    expect(joined.slice(-5)).toEqual([
      ["a1", 1],
      ["a2", 2],
      ["a3", 3],
      ["b1", 2],
      ["c1", 3],
    ]);
    const served: string[] = [];
    outcomes.forEach((o) => void o.then((r) => r.kind === "done" && served.push(r.value)));
    for (let i = 0; i < 5; i++) {
      p.state.free = 1;
      q.kick();
      await flush();
      await flush();
      expect(served).toHaveLength(i + 1); // exactly one per freed slot
    }
    expect(served).toEqual(["a1", "b1", "c1", "a2", "a3"]);
    expect(q.length).toBe(0);
  });

  it("a new request never overtakes one that waits, even when it would fit", async () => {
    const { q } = setup();
    const p = pool(0);
    const [big] = await enqueue(q, p, [{ user: "alice", label: "a-two", count: 2 }]);
    p.state.free = 1;
    const [small] = await enqueue(q, p, [{ user: "bob", label: "b-one", count: 1 }]);
    await flush();
    expect(q.waiting().map((w) => [w.container, w.position])).toEqual([
      ["a-two", 1],
      ["b-one", 2],
    ]);
    expect(p.state.free).toBe(1); // the head does not fit, so nobody behind it was served
    p.state.free = 3;
    q.kick();
    expect(await big).toMatchObject({ kind: "done", value: "a-two", queued: true });
    expect(await small).toMatchObject({ kind: "done", value: "b-one", queued: true });
  });

  it("a request times out after the wait with the last reason, and the rest move up", async () => {
    const { q, t, clock } = setup();
    const p = pool(0);
    const [a, b] = await enqueue(q, p, [
      { user: "alice", label: "a1" },
      { user: "bob", label: "b1" },
    ]);
    clock.advance(10_000);
    const [c] = await enqueue(q, p, [{ user: "carol", label: "c1" }], 100_000);
    await t.advance(50_000); // alice's and bob's 60 s are up; carol's 100 s are not
    expect(await a).toEqual({ kind: "timeout", reason: "only 0 free, 1 requested", waitedMs: 60_000, queued: true });
    expect(await b).toMatchObject({ kind: "timeout", queued: true });
    expect(q.waiting()).toEqual([{ user: "carol", container: "c1", count: 1, position: 1, since: 1_010_000 }]);
    p.state.free = 1;
    q.kick("container x destroyed");
    expect(await c).toMatchObject({ kind: "done", value: "c1", waitedMs: 50_000, trigger: "container x destroyed" });
  });

  it("a client that goes away leaves the queue and is never tried again", async () => {
    const { q, changes } = setup();
    const p = pool(0);
    const ac = new AbortController();
    const [a, b] = await enqueue(q, p, [
      { user: "alice", label: "a1", signal: ac.signal },
      { user: "bob", label: "b1" },
    ]);
    ac.abort();
    expect(await a).toMatchObject({ kind: "left" });
    expect(q.waiting().map((w) => w.container)).toEqual(["b1"]);
    expect(changes.at(-1)!.map((w) => w.container)).toEqual(["b1"]);
    p.state.free = 1;
    q.kick();
    expect(await b).toMatchObject({ kind: "done", value: "b1" });
  });

  it("what was reserved for a request that left during its try is handed back", async () => {
    const { q, discarded } = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ac = new AbortController();
    let calls = 0;
    const slow = async (): Promise<Attempt<string>> => {
      if (calls++ === 0) return { kind: "wait", reason: "busy" };
      await gate;
      return { kind: "done", value: "reserved-for-a1" };
    };
    const a = q.admit({ user: "alice", container: "a1", count: 1 }, slow, { waitMs: 60_000, signal: ac.signal });
    await flush();
    q.kick(); // second try starts and blocks on `gate`
    await flush();
    ac.abort();
    release();
    expect(await a).toMatchObject({ kind: "left" });
    await flush();
    expect(discarded).toEqual(["reserved-for-a1"]);
  });

  it("a user who loses a request keeps their place in the rotation", async () => {
    const { q } = setup();
    const p = pool(0);
    const ac = new AbortController();
    const [lost] = await enqueue(q, p, [
      { user: "alice", label: "a1", signal: ac.signal },
      { user: "bob", label: "b1" },
      { user: "alice", label: "a2" },
    ]);
    ac.abort();
    await flush();
    await expect(lost).resolves.toMatchObject({ kind: "left" });
    expect(q.waiting().map((w) => w.container)).toEqual(["a2", "b1"]);
  });
});

// The intent log, its reconciliation, and the executor around them, on a real store in a temp dir
// with a fake engine (each stop waits until the test lets it finish).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ContainerInfo } from "../model/container.js";
import type { ContainerRuntime, HostProcesses } from "../model/ports.js";
import type { KillProcessAction, Plan, PlannedAction, RemoveAction, StopAction } from "../policy/plan-types.js";
import { openStore, type Store } from "../store/index.js";
import { fixedClock } from "../util/clock.js";
import { silentLogger } from "../util/log.js";
import { executePlan, type ExecutorDeps } from "./executor.js";
import { IntentLog } from "./intents.js";
import { reconcileIntents } from "./reconcile.js";
import { connectionForTests } from "../store/sqlite-store.js";

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ds01-intents-"));
  store = openStore(dir);
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function info(id: string, over: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id, name: `c-${id}`, image: "x", labels: {}, state: "running", createdAt: T0, startedAt: T0, finishedAt: null, restartCount: 0, pid: 100,
    deviceRequestGpuIds: [], requestsGpu: false, cgroupParent: null, nvidiaVisibleDevices: null, ...over,
  };
}

function stopOf(id: string, user = "alice"): StopAction {
  return {
    kind: "stop", reason: "idle", containerId: id, container: `c-${id}`, user, summary: "idle: stop", details: { idle_for_s: 99 }, group: `idle:${id}`, graceS: 60,
    notice: { severity: "stopped", title: `CONTAINER AUTO-STOPPED (idle): c-${id}`, body: "stopped" },
  };
}

function removeOf(id: string): RemoveAction {
  return { kind: "remove", reason: "idle", containerId: id, container: `c-${id}`, user: "alice", summary: "remove after idle stop", details: {}, group: `idle:${id}` };
}

/** Containers by id; `stop` logs its start, then waits for `release(id)`. */
function fakeEngine(containers: Map<string, ContainerInfo>) {
  const log: string[] = [];
  const waiting = new Map<string, () => void>();
  const runtime: ContainerRuntime = {
    list: async () => [...containers.values()],
    inspect: async (id) => containers.get(id) ?? null,
    stop: async (id) => {
      log.push(`stop:${id}`);
      await new Promise<void>((r) => waiting.set(id, r));
      containers.set(id, { ...containers.get(id)!, state: "exited" });
      log.push(`stopped:${id}`);
    },
    remove: async (id) => {
      containers.delete(id);
      log.push(`remove:${id}`);
    },
    stats: async () => null,
    exec: async () => ({ exitCode: 0 }),
    events: async () => undefined,
    statPath: async () => null,
    copyFrom: async () => null,
    copyTo: async () => undefined,
  };
  const started = (id: string) => log.includes(`stop:${id}`);
  const release = (id: string) => waiting.get(id)?.();
  return { runtime, log, started, release };
}

const noHost: HostProcesses = { exists: async () => false, containerOf: async () => null, signal: async () => undefined, identity: async () => null };

function deps(runtime: ContainerRuntime, intents: IntentLog, over: Partial<ExecutorDeps> = {}): ExecutorDeps {
  return {
    runtime, host: noHost, gpu: { inventory: async () => ({ gpus: [], error: null }) as never, sample: async () => new Map(), reset: async () => undefined },
    notifier: null, store, clock: fixedClock(T0), log: silentLogger, guard: { protectedLabel: "ds01.protected", infrastructurePrefixes: [] },
    kill: { termWaitMs: 0, killWaitMs: 0, pollMs: 1, sleep: async () => undefined }, startedAt: new Map(), intents, ...over,
  };
}

const plan = (actions: PlannedAction[]): Plan => ({ now: T0, actions, skipped: [], records: [], forget: [] });
const tick = () => new Promise((r) => setImmediate(r));
async function until(fn: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !fn(); i++) await tick();
  expect(fn()).toBe(true);
}

const types = () => store.query({}).map((e) => `${e.type}:${e.containerId ?? ""}`);
const openRows = () => connectionForTests(store).prepare("SELECT kind, container_id, outcome FROM intents WHERE closed_at IS NULL").all();

describe("executor with intents", () => {
  it("writes the intent before the stop and closes it with the audit event after", async () => {
    const e = fakeEngine(new Map([["a", info("a")]]));
    const intents = new IntentLog(store);
    const run = executePlan(plan([stopOf("a")]), deps(e.runtime, intents));
    await until(() => e.started("a"));
    expect(openRows()).toEqual([{ kind: "stop", container_id: "a", outcome: null }]);
    expect(types()).toEqual([]);
    e.release("a");
    expect((await run)[0]).toMatchObject({ executed: true });
    expect(openRows()).toEqual([]);
    expect(connectionForTests(store).prepare("SELECT outcome FROM intents").all()).toEqual([{ outcome: "done" }]);
    expect(types()).toEqual(["container.idle_stop:a"]);
  });

  it("runs the stops of different containers side by side: both start before either finishes", async () => {
    const e = fakeEngine(new Map([["a", info("a")], ["b", info("b")]]));
    const run = executePlan(plan([stopOf("a"), removeOf("a"), stopOf("b"), removeOf("b")]), deps(e.runtime, new IntentLog(store)));
    await until(() => e.started("a") && e.started("b"));
    expect(e.log).toEqual(["stop:a", "stop:b"]);
    e.release("b");
    e.release("a");
    const results = await run;
    expect(results.map((r) => [r.action.kind, r.action.containerId, r.executed])).toEqual([["stop", "a", true], ["remove", "a", true], ["stop", "b", true], ["remove", "b", true]]);
    // One container's steps stay in order: its remove only after its own stop.
    expect(e.log.indexOf("remove:a")).toBeGreaterThan(e.log.indexOf("stopped:a"));
    expect(e.log.indexOf("remove:b")).toBeGreaterThan(e.log.indexOf("stopped:b"));
  });

  it("with a bound of 1 they run one after another", async () => {
    const e = fakeEngine(new Map([["a", info("a")], ["b", info("b")]]));
    const run = executePlan(plan([stopOf("a"), stopOf("b")]), deps(e.runtime, new IntentLog(store), { concurrency: 1 }));
    await until(() => e.started("a"));
    for (let i = 0; i < 20; i++) await tick();
    expect(e.started("b")).toBe(false);
    e.release("a");
    await until(() => e.started("b"));
    e.release("b");
    await run;
  });

  it("once stopping, starts nothing new but finishes the group under way", async () => {
    const e = fakeEngine(new Map([["a", info("a")], ["b", info("b")]]));
    const halt = new AbortController();
    const run = executePlan(plan([stopOf("a"), removeOf("a"), stopOf("b")]), deps(e.runtime, new IntentLog(store), { concurrency: 1, stopping: halt.signal }));
    await until(() => e.started("a"));
    halt.abort();
    e.release("a");
    const results = await run;
    expect(results.map((r) => [r.action.kind, r.action.containerId, r.error])).toEqual([["stop", "a", null], ["remove", "a", null], ["stop", "b", "skipped: ds01 is stopping"]]);
    expect(e.started("b")).toBe(false);
  });

  it("an abandoned stop that finishes later writes nothing; the next pass reconciles it as the stop it was", async () => {
    const containers = new Map([["a", info("a")]]);
    const e = fakeEngine(containers);
    const intents = new IntentLog(store);
    const run = executePlan(plan([stopOf("a"), removeOf("a")]), deps(e.runtime, intents));
    await until(() => e.started("a"));
    intents.abandon(intents.inFlight(), T0 + 5_000, "test");
    expect(types()).toEqual(["action.abandoned:a"]);
    e.release("a");
    const results = await run;
    expect(results[0]).toMatchObject({ executed: false, error: expect.stringMatching(/reconciled at the next start/) });
    expect(results[1]).toMatchObject({ executed: false, error: expect.stringMatching(/^skipped/) });
    expect(types()).toEqual(["action.abandoned:a"]);

    // A new process (new log) reconciles: the container has exited.
    const settled = await reconcileIntents({ intents: new IntentLog(store), runtime: e.runtime, host: noHost, clock: fixedClock(T0 + 9_000), log: silentLogger });
    expect(settled.map((s) => [s.intent.kind, s.happened])).toEqual([["stop", true]]);
    const stop = store.query({ type: "container.idle_stop" });
    expect(stop).toHaveLength(1);
    expect(stop[0]!.details).toMatchObject({ reconciled: true, reason: "idle", grace_s: 60, idle_for_s: 99, observed: "container exited", abandoned_at: T0 + 5_000 });
    expect(openRows()).toEqual([]);
  });
});

describe("reconcileIntents", () => {
  const reconcile = (runtime: ContainerRuntime, host: HostProcesses = noHost) =>
    reconcileIntents({ intents: new IntentLog(store), runtime, host, clock: fixedClock(T0 + 1_000), log: silentLogger });

  it("a stop whose container still runs the same run is interrupted (the planner plans it again)", async () => {
    new IntentLog(store).open(stopOf("a"), T0, T0 + 75_000, { started_at: T0 });
    const e = fakeEngine(new Map([["a", info("a")]]));
    expect((await reconcile(e.runtime)).map((s) => s.happened)).toEqual([false]);
    expect(types()).toEqual(["action.interrupted:a"]);
    expect(store.query({})[0]!.details).toMatchObject({ kind: "stop", reconciled: true, observed: "container still running" });
  });

  it("a stop whose container is gone, or running a newer start, happened", async () => {
    const log = new IntentLog(store);
    log.open(stopOf("gone"), T0, T0 + 75_000, { started_at: T0 });
    log.open(stopOf("again"), T0, T0 + 75_000, { started_at: T0 });
    const e = fakeEngine(new Map([["again", info("again", { startedAt: T0 + 500 })]]));
    expect((await reconcile(e.runtime)).map((s) => [s.intent.containerId, s.happened, s.observed])).toEqual([
      ["gone", true, "container gone"],
      ["again", true, "container stopped and started again since"],
    ]);
    expect(types()).toEqual(["container.idle_stop:gone", "container.idle_stop:again"]);
  });

  it("a remove: gone = done, still there = interrupted", async () => {
    const log = new IntentLog(store);
    log.open(removeOf("gone"), T0, T0 + 15_000);
    log.open(removeOf("there"), T0, T0 + 15_000);
    const e = fakeEngine(new Map([["there", info("there", { state: "exited" })]]));
    await reconcile(e.runtime);
    expect(types()).toEqual(["container.remove:gone", "action.interrupted:there"]);
  });

  it("a kill: the same process still there = interrupted; gone or reused = done", async () => {
    const log = new IntentLog(store);
    const kill = (pid: number): KillProcessAction => ({ kind: "kill_process", reason: "orphan_process", containerId: null, container: null, user: null, summary: "kill", details: {}, group: "health:g", pid, gpuUuid: "GPU-g" });
    const expected = { startTicks: "100", comm: "python3" };
    log.open(kill(11), T0, T0 + 15_000, { expected });
    log.open(kill(12), T0, T0 + 15_000, { expected });
    log.open(kill(13), T0, T0 + 15_000, { expected });
    const host: HostProcesses = {
      ...noHost,
      identity: async (pid) => (pid === 11 ? { startTicks: "100", comm: "python3", argv0: "" } : pid === 12 ? { startTicks: "999", comm: "bash", argv0: "" } : null),
    };
    expect((await reconcile(fakeEngine(new Map()).runtime, host)).map((s) => [s.intent.pid, s.happened])).toEqual([[11, false], [12, true], [13, true]]);
    expect(types()).toEqual(["action.interrupted:", "gpu.orphan_killed:", "gpu.orphan_killed:"]);
  });

  it("a row whose stored action cannot be read is reconciled from its columns, and its event says so", async () => {
    new IntentLog(store).open(stopOf("gone"), T0, T0 + 75_000, { started_at: T0 });
    connectionForTests(store).prepare("UPDATE intents SET action = ?").run("{not json");
    const e = fakeEngine(new Map());
    expect((await reconcile(e.runtime)).map((s) => [s.intent.kind, s.happened, s.observed])).toEqual([["stop", true, "container gone"]]);
    const [ev] = store.query({});
    // Done, but whether it was an idle or a runtime stop (and whose) was in the unreadable part.
    expect(ev).toMatchObject({ type: "action.reconciled", user: null, container: null, containerId: "gone" });
    expect(ev!.details).toMatchObject({ kind: "stop", reconciled: true, observed: "container gone", happened: true, action_unreadable: true });
    expect(openRows()).toEqual([]);
  });

  it("an engine that cannot be asked settles nothing: the intent stays open for the next pass", async () => {
    new IntentLog(store).open(stopOf("a"), T0, T0 + 75_000, { started_at: T0 });
    const e = fakeEngine(new Map());
    const broken: ContainerRuntime = { ...e.runtime, inspect: async () => Promise.reject(new Error("docker down")) };
    expect(await reconcile(broken)).toEqual([]);
    expect(openRows()).toHaveLength(1);
    expect(types()).toEqual([]);
  });

  it("leaves this process's own actions in flight alone", async () => {
    const log = new IntentLog(store);
    log.open(stopOf("a"), T0, T0 + 75_000, { started_at: T0 });
    expect(await reconcileIntents({ intents: log, runtime: fakeEngine(new Map()).runtime, host: noHost, clock: fixedClock(T0), log: silentLogger })).toEqual([]);
    expect(openRows()).toHaveLength(1);
  });
});

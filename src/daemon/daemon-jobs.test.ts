import { beforeAll, describe, expect, it } from "vitest";
import { container, gpu, gpuUuid, inventory, snapshot } from "../../test/helpers/fleet.js";
import { bundledConfigDir } from "../config/locate-config-dir.js";
import { loadConfig } from "../config/load-config.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { DaemonMetrics } from "../metrics/daemon-metrics.js";
import type { ObservedContainer } from "../model/container.js";
import type { PassDeps, PassReport } from "../pass/run-pass.js";
import { fixedClock } from "../util/clock.js";
import { silentLogger } from "../util/log.js";
import { DaemonJobs } from "./daemon-jobs.js";
import { DaemonStatus } from "./daemon-status.js";
import { Fleet } from "./fleet.js";
import { StoreHealth } from "./store-health.js";

const T0 = 1_800_000_000_000;
let config: LoadedConfig;
beforeAll(async () => {
  config = await loadConfig(bundledConfigDir());
});

function report(over: { dockerError?: string | null; containers?: ObservedContainer[]; now?: number } = {}): PassReport {
  const now = over.now ?? T0;
  const snap = snapshot({ containers: over.containers ?? [], dockerError: over.dockerError ?? null, gpus: inventory([gpu(0)]), now });
  return { now, dryRun: false, dockerError: snap.dockerError, gpuError: null, plan: { now, actions: [], skipped: [], records: [], forget: [] }, snapshot: snap, results: [], skipped: [] };
}

/** Jobs whose passes return (or throw) what the test queues, with a probe the test can break. */
function setup() {
  const clock = fixedClock(T0);
  const metrics = new DaemonMetrics({ version: "test" });
  const fleet = new Fleet();
  const storeHealth = new StoreHealth({ count: () => metrics.storeError(), log: silentLogger });
  const samples: [string, number, number | null][] = [];
  const missed: string[] = [];
  const asked: string[] = [];
  const cgroupOwners: string[][] = [];
  const passes: (PassReport | Error)[] = [];
  let probe: () => Promise<Map<string, number | null>> = async () => new Map([[gpuUuid(0), 55]]);
  let storeFails = false;
  const deps = { probe: { sample: () => probe() }, notifier: null } as unknown as PassDeps;
  const running = { current: config, deps, check: async () => {} };
  const status = new DaemonStatus({ clock, log: silentLogger, metrics, fleet, storeHealth, store: { append: () => {} }, config: () => config, notifier: () => null });
  status.start();
  status.streamUp();
  const jobs = new DaemonJobs({
    config: running, status, fleet, storeHealth, metrics, clock, log: silentLogger,
    store: {
      all: () => [],
      query: () => [],
      recordGpuSample: (uuid, at, util) => {
        if (storeFails) throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
        samples.push([uuid, at, util]);
      },
    },
    accountMissed: (c, how) => void missed.push(`${how} ${c.name}`),
    requestPass: (why) => void asked.push(why),
    cgroupWatch: { pass: async (_c, owners) => (cgroupOwners.push([...owners]), []) },
    runPass: async () => {
      const next = passes.shift() ?? report({ now: clock.now() });
      if (next instanceof Error) throw next;
      return next;
    },
  });
  return {
    jobs, status, fleet, clock, storeHealth, samples, missed, asked, cgroupOwners, passes,
    breakProbe: (e: Error) => void (probe = () => Promise.reject(e)),
    breakStore: () => void (storeFails = true),
  };
}

describe("DaemonJobs: the sample", () => {
  it("stores each GPU's utilisation and keeps it for the gauges", async () => {
    const s = setup();
    await s.jobs.sample();
    expect(s.samples).toEqual([[gpuUuid(0), T0, 55]]);
    expect(s.status.gpu.utilisation.get(gpuUuid(0))).toBe(55);
  });

  it("a failing probe is the probe's failure; a failing store is the store's, not the probe's", async () => {
    const s = setup();
    s.breakStore();
    await s.jobs.sample();
    expect(s.storeHealth.error).toBe("recording GPU samples: database or disk is full");
    expect(s.status.gpu.error).toBeNull();
    s.breakProbe(new Error("nvidia-smi timed out"));
    await s.jobs.sample();
    expect(s.status.gpu.error).toBe("nvidia-smi timed out");
  });
});

describe("DaemonJobs: the pass", () => {
  it("answers who asked before it began with its report, and counts it", async () => {
    const s = setup();
    const asked = s.jobs.passNow("ds01 check");
    expect(s.asked).toEqual(["ds01 check"]);
    const first = s.jobs.waitForPasses(1);
    const second = s.jobs.waitForPasses(2);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    const r = report({ containers: [container({ name: "a" })] });
    s.passes.push(r);
    await s.jobs.pass("ds01 check");
    expect(await asked).toBe(r);
    await first;
    expect(s.jobs.passCount).toBe(1);
    expect(secondDone).toBe(false);
    await s.jobs.pass("schedule");
    await second;
    expect(s.jobs.passCount).toBe(2);
  });

  it("replaces the fleet from the listing, accounts exits it missed, and looks after the cgroup parents", async () => {
    const s = setup();
    const gpuHolder = container({ id: "g", name: "g", owner: "bob", gpus: [gpuUuid(0)] });
    s.passes.push(report({ containers: [gpuHolder, container({ id: "u", name: "u", owner: "unknown", gpus: [] })] }));
    await s.jobs.pass("startup");
    expect(s.fleet.containers().map((c) => c.id).sort()).toEqual(["g", "u"]);
    expect(s.cgroupOwners).toEqual([["bob"]]);
    s.clock.advance(1000);
    s.passes.push(report({ containers: [], now: s.clock.now() })); // both gone, their events missed: only the GPU holder is accounted
    await s.jobs.pass("schedule");
    expect(s.missed).toEqual(["destroy g"]);
    expect(s.status.health().last_successful_pass_at).toBe(new Date(T0 + 1000).toISOString());
  });

  it("retries a pass that cannot see Docker with backoff (1 s, 2 s, then again from 1 s after a good one), answering it all the same", async () => {
    const s = setup();
    const down = report({ dockerError: "connect ENOENT /var/run/docker.sock" });
    s.passes.push(down, down);
    const asked = s.jobs.passNow("ds01 check");
    expect(await s.jobs.pass("startup")).toEqual({ retryInMs: 1000 });
    expect(await asked).toBe(down);
    expect(await s.jobs.pass("retry")).toEqual({ retryInMs: 2000 });
    expect(s.status.health().reasons).toContain("docker unreachable: connect ENOENT /var/run/docker.sock");
    expect(s.cgroupOwners).toEqual([]); // nothing seen, nothing looked after
    expect(await s.jobs.pass("retry")).toEqual({ retryInMs: null });
    expect(s.status.health().reasons).toEqual([]);
    s.passes.push(down);
    expect(await s.jobs.pass("schedule")).toEqual({ retryInMs: 1000 });
  });

  it("a pass that throws rejects who waited, is retried with backoff, and a store error is the store's", async () => {
    const s = setup();
    const asked = s.jobs.passNow("ds01 check");
    s.passes.push(Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" }));
    expect(await s.jobs.pass("ds01 check")).toEqual({ retryInMs: 1000 });
    await expect(asked).rejects.toThrow("disk I/O error");
    expect(s.jobs.passCount).toBe(0);
    expect(s.storeHealth.error).toBe("pass: disk I/O error");
    expect(s.status.health().pass_running_since).toBeNull();
  });

  it("stop tells who still waits that no pass will run", async () => {
    const s = setup();
    const asked = s.jobs.passNow("ds01 check");
    s.jobs.stop();
    await expect(asked).rejects.toThrow("the daemon stopped before the pass ran");
  });

  it("after a reload, looks after the cgroup parents at once, but only once the fleet was listed", async () => {
    const s = setup();
    await s.jobs.settle();
    expect(s.cgroupOwners).toEqual([]);
    s.passes.push(report({ containers: [container({ owner: "carol" })] }));
    await s.jobs.pass("startup");
    await s.jobs.settle();
    expect(s.cgroupOwners).toEqual([["carol"], ["carol"]]);
  });
});

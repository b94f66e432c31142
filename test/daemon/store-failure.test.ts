// The daemon's own store failing (a full disk) is reported as a store failure: its own /healthz
// reason and counter, never "GPU probe failing" nor an nvidia-smi error, and the broker answers
// that the store failed. Real child daemon with its state directory on a small tmpfs the test fills.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRIC } from "../../src/constants/metrics.js";
import { useTestContainers } from "../helpers/containers.js";
import { fullGpus, gpuUuid, writeFakeGpuState, type FakeGpus } from "../helpers/fake-gpus.js";
import { canMountTmpfs, fillUp, mountTmpfs, type Tmpfs } from "../helpers/tmpfs.js";
import { childOutput, daemonDirs, ensureBuilt, healthz, scrape, spawnDs01, startDaemon, until, type DaemonChild, type DaemonDirs } from "./daemon-process.js";

const tc = useTestContainers("storefail");
let dirs: DaemonDirs;
let gpus: FakeGpus;
let fs: Tmpfs | null = null;
let d: DaemonChild | null = null;

const mounted = canMountTmpfs();

beforeAll(async () => {
  if (!mounted) return;
  await ensureBuilt();
  gpus = await writeFakeGpuState({ gpus: fullGpus(1).map((g) => ({ ...g, uuid: gpuUuid(0, "a0703333") })) });
  dirs = await daemonDirs();
  fs = mountTmpfs(join(dirs.stateDir, "fs"), 4);
  dirs = { ...dirs, stateDir: fs.dir };
}, 200_000);

afterAll(async () => {
  await d?.stop("SIGKILL");
  fs?.unmount();
});

describe("a full disk under the daemon's store", { timeout: 120_000 }, () => {
  it.skipIf(!mounted)("is a store failure in /healthz, the store error counter and the broker's answer, not a GPU probe failure", async () => {
    d = await startDaemon({ ...dirs, env: gpus.env, runId: tc.runId });
    expect(await d.waitForLog((l) => l.msg === "allocation broker listening", 30_000)).not.toBeNull();
    expect(await d.waitForLog((l) => l.msg === "pass finished", 30_000)).not.toBeNull();
    expect((await healthz(d.url)).body.reasons).toEqual([]);

    const filler = join(fs!.dir, "filler");
    fillUp(filler);
    const degraded = await until(async () => {
      const h = await healthz(d!.url);
      return h.body.reasons.some((r) => r.startsWith("store failing:")) ? h : null;
    }, 20_000);
    expect(degraded, JSON.stringify(d.lines.slice(-10))).not.toBeNull();
    expect(degraded!.status).toBe(503);
    expect(degraded!.body.reasons.find((r) => r.startsWith("store failing:"))).toMatch(/database or disk is full/);
    expect(degraded!.body.reasons.filter((r) => r.startsWith("GPU probe failing"))).toEqual([]);
    const m = await scrape(d.url);
    expect(m.get(METRIC.storeErrorsTotal)).toBeGreaterThan(0);
    expect(m.get(`${METRIC.probeErrorsTotal}{source="nvidia_smi"}`)).toBe(0);

    // The broker says the store failed (before: "unavailable: the daemon's GPU probe is failing").
    const r = await childOutput(spawnDs01({ ...dirs, runId: tc.runId, env: gpus.env }, ["gpu", "allocate", "--user", "ds01sf-bob", "--container", "b1"]), 60_000);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the (allocation|audit) store failed/);
    expect(r.err).not.toMatch(/GPU probe/);

    // A config edit while the disk is full still applies; the record it could not write is a store failure.
    const resourceLimits = join(dirs.configDir, "resource-limits.yaml");
    writeFileSync(resourceLimits, readFileSync(resourceLimits, "utf8").replace("pass_interval_s: 2", "pass_interval_s: 3"));
    expect(await until(async () => ((await scrape(d!.url)).get(METRIC.passInterval) === 3 ? true : null), 20_000)).toBe(true);
    expect(d.lines.some((l) => l.msg === "config reloaded")).toBe(true);
    expect((await healthz(d.url)).body.reasons.find((r) => r.startsWith("store failing:"))).toMatch(/database or disk is full/);

    // Space again: healthy again by itself.
    rmSync(filler);
    const healthy = await until(async () => ((await healthz(d!.url)).body.reasons.length === 0 ? true : null), 20_000);
    expect(healthy).toBe(true);
  });
});

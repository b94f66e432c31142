// `ds01 check` while the daemon runs: the daemon holds the pass lock for its whole life, so check
// asks it (control socket) for a pass now and prints that pass's report.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { fullGpus, writeFakeGpuState, type FakeGpus } from "../helpers/fake-gpus.js";
import { newRunId } from "../helpers/containers.js";
import { childOutput, daemonDirs, ensureBuilt, spawnDs01, startDaemon, until, type DaemonChild, type DaemonDirs } from "./daemon-process.js";

const runId = newRunId("check-daemon");
let dirs: DaemonDirs;
let gpus: FakeGpus;
let d: DaemonChild;

const output = (child: ReturnType<typeof spawnDs01>) => childOutput(child, 60_000);

beforeAll(async () => {
  await ensureBuilt();
  gpus = await writeFakeGpuState({ gpus: fullGpus(1) });
  // A long pass interval: the passes seen here are the ones check asked for.
  dirs = await daemonDirs((y) => y.replace("pass_interval_s: 2   ", "pass_interval_s: 3600"));
  d = await startDaemon({ ...dirs, env: gpus.env, runId });
  // The control socket opens once the daemon's loops run (after its event stream is up).
  await until(() => existsSync(join(dirs.stateDir, "control.sock")) || null, 30_000);
}, 120_000);

afterAll(async () => {
  await d?.stop("SIGTERM");
}, 60_000);

it("the daemon's control socket is root-only", () => {
  const sock = join(dirs.stateDir, "control.sock");
  expect(existsSync(sock)).toBe(true);
  expect(statSync(sock).mode & 0o777).toBe(0o600);
});

it("check asks the running daemon for a pass and prints that pass", async () => {
  const from = d.lines.length;
  const r = await output(spawnDs01({ ...dirs, env: gpus.env, runId }, ["check"]));
  expect(r.code, r.err + r.out).toBe(0);
  expect(r.out).toMatch(/^\(run by the ds01 daemon\)\n/);
  expect(r.err).not.toMatch(/lock/);
  const started = await d.waitForLog((l) => l.msg === "pass started" && l.why === "ds01 check", 5_000, from);
  expect(started).not.toBeNull();
});

it("check --json says who ran the pass", async () => {
  const r = await output(spawnDs01({ ...dirs, env: gpus.env, runId }, ["check", "--json"]));
  expect(r.code, r.err).toBe(0);
  const j = JSON.parse(r.out) as { run_by?: string; error?: string };
  expect(j.run_by).toBe("daemon");
  expect(j.error).toBeUndefined();
});

it("after the daemon stops, check runs the pass itself", async () => {
  await d.stop("SIGTERM");
  expect(existsSync(join(dirs.stateDir, "control.sock"))).toBe(false);
  const r = await output(spawnDs01({ ...dirs, env: gpus.env, runId }, ["check", "--json"]));
  expect(r.code, r.err).toBe(0);
  expect((JSON.parse(r.out) as { run_by?: string }).run_by).toBeUndefined();
});

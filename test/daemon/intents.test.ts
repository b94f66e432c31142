// Destructive actions and the daemon's life: a stop in flight when the daemon is SIGKILLed or
// SIGTERMed, stops of one pass running side by side, and a container without a shell warned and
// stopped. Real daemon child process, real containers that ignore SIGTERM (PID 1 without a TERM
// handler: Docker waits the whole grace, then SIGKILLs), the nvidia-smi stand-in.
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/constants/labels.js";
import type { AuditEvent } from "../../src/model/audit-event.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { useTestContainers } from "../helpers/containers.js";
import { NO_SHELL_IMAGE, ensureNoShellImage } from "../helpers/docker-env.js";
import { fullGpus, gpuUuid, writeFakeGpuState } from "../helpers/fake-gpus.js";
import { auditEvents, byLine, daemonDirs, ensureBuilt, startDaemon, until, type DaemonChild } from "./daemon-process.js";

const tc = useTestContainers("daemon-intents");
const docker = new Dockerode({ timeout: 60_000 });
/** Longer than the daemon's old 5 s shutdown wait, so a stop is still in flight when it gave up. */
const GRACE_S = 8;

beforeAll(async () => {
  await ensureBuilt();
  await ensureNoShellImage();
}, 200_000);

/** Idle after ~11 s, no startup grace, no warning lead, an 8 s stop grace (see crash.test.ts). */
function fastIdle(yaml: string): string {
  return yaml
    .replace(/cpu_idle_threshold: [\d.]+/g, "cpu_idle_threshold: 50")
    .replace("probe_timeout_s: 2", "probe_timeout_s: 5")
    .replace(/idle_timeout_h: 0\.5(\s+max_runtime_h: 48)/, "idle_timeout_h: 0.003$1")
    .replace(/(max_runtime_h: 48\s+sigterm_grace_s:) 60/, `$1 ${GRACE_S}`)
    .replace("grace_period_m: 30", "grace_period_m: 0")
    .replace(/idle_detection_window: \d/g, "idle_detection_window: 1")
    .replace("min_warning_lead_m: 5", "min_warning_lead_m: 0");
}

interface EngineEvent {
  id: string;
  action: string;
  signal: string | null;
}

/** Docker's own record of what happened to this run's containers: `kill` (with its signal), `die`. */
async function watchEngine(runId: string): Promise<{ events: EngineEvent[]; close(): void }> {
  const events: EngineEvent[] = [];
  const stream = (await docker.getEvents({ filters: { type: ["container"], label: [`${LABEL.testRun}=${runId}`] } })) as NodeJS.ReadableStream & { destroy(): void };
  stream.on(
    "data",
    byLine((line) => {
      try {
        const e = JSON.parse(line) as { id: string; Action: string; Actor?: { Attributes?: Record<string, string> } };
        events.push({ id: e.id, action: e.Action, signal: e.Actor?.Attributes?.signal ?? null });
      } catch {
        /* not a JSON line */
      }
    }),
  );
  stream.on("error", () => undefined);
  return { events, close: () => stream.destroy() };
}

const sigterm = (e: EngineEvent, id: string) => e.id === id && e.action === "kill" && e.signal === "15";

/** Running now; false once it stopped or is gone (an idle stop removes the container after it). */
async function running(id: string): Promise<boolean> {
  try {
    return (await docker.getContainer(id).inspect()).State.Running;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw e;
  }
}

function ofContainer(stateDir: string, id: string, type?: string): AuditEvent[] {
  return auditEvents(stateDir, type).filter((e) => e.containerId === id);
}

/** Each of the two idle warnings was recorded exactly once, with these details. */
function expectWarnedOnce(stateDir: string, id: string, details: Record<string, unknown>): void {
  for (const type of ["container.idle_warning", "container.idle_final_warning"]) {
    const [w, ...more] = ofContainer(stateDir, id, type);
    expect(more).toHaveLength(0);
    expect(w?.details).toMatchObject(details);
  }
}

async function gpuEnv(): Promise<Record<string, string>> {
  return (await writeFakeGpuState({ gpus: fullGpus(2) })).env;
}

describe("a stop in flight and the daemon's life", () => {
  let engine: Awaited<ReturnType<typeof watchEngine>>;
  beforeAll(async () => void (engine = await watchEngine(tc.runId)));
  afterAll(() => engine.close());

  it("SIGKILL mid-stop: the restarted daemon records the stop that completed meanwhile as the idle stop it was", async () => {
    const dirs = await daemonDirs(fastIdle);
    const c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)], cmd: ["sleep", "1000"] });
    const opts = { ...dirs, env: await gpuEnv(), runId: tc.runId };
    let d: DaemonChild = await startDaemon(opts);
    try {
      expect(await until(() => engine.events.some((e) => sigterm(e, c.id)), 60_000), JSON.stringify(d.lines.slice(-10))).toBe(true);
      d.child.kill("SIGKILL");
      expect((await d.exited).signal).toBe("SIGKILL");
      // Docker finishes the stop on its own (SIGKILL after the grace).
      expect(await until(async () => !(await running(c.id)), 30_000)).toBe(true);
      expect(ofContainer(dirs.stateDir, c.id, "container.idle_stop")).toHaveLength(0);

      d = await startDaemon(opts);
      expect(await d.waitForLog((l) => l.msg === "pass finished", 30_000)).not.toBeNull();
      const stops = ofContainer(dirs.stateDir, c.id, "container.idle_stop");
      expect(stops, JSON.stringify(ofContainer(dirs.stateDir, c.id))).toHaveLength(1);
      expect(stops[0]!.details).toMatchObject({ reconciled: true, reason: "idle" });
      expect(ofContainer(dirs.stateDir, c.id, "action.failed")).toHaveLength(0);
    } finally {
      await d.stop("SIGKILL");
    }
  }, 180_000);

  it("SIGTERM mid-stop: the daemon waits for the stop, audits it, and only then records its own stop", async () => {
    const dirs = await daemonDirs(fastIdle);
    const c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)], cmd: ["sleep", "1000"] });
    const d = await startDaemon({ ...dirs, env: await gpuEnv(), runId: tc.runId });
    try {
      expect(await until(() => engine.events.some((e) => sigterm(e, c.id)), 60_000), JSON.stringify(d.lines.slice(-10))).toBe(true);
      const exit = await d.stop("SIGTERM");
      expect(exit.code).toBe(0);
      expect(await running(c.id)).toBe(false);
      const all = auditEvents(dirs.stateDir);
      const stop = all.findIndex((e) => e.type === "container.idle_stop" && e.containerId === c.id);
      const stopped = all.findIndex((e) => e.type === "daemon.stopped");
      expect(stop, JSON.stringify(all.slice(-8))).toBeGreaterThanOrEqual(0);
      expect(stopped).toBeGreaterThan(stop);
      expect(all[stopped]!.details).toMatchObject({ abandoned_job: null });
      expect(d.lines.some((l) => l.msg === "abandoning job in flight")).toBe(false);
    } finally {
      await d.stop("SIGKILL");
    }
  }, 180_000);

  it("stops of one pass run side by side: both containers get SIGTERM before either dies", async () => {
    const dirs = await daemonDirs(fastIdle);
    const a = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)], cmd: ["sleep", "1000"] });
    const b = await tc.create({ labels: { "ds01.user": "bob" }, gpus: [gpuUuid(1)], cmd: ["sleep", "1000"] });
    const d = await startDaemon({ ...dirs, env: await gpuEnv(), runId: tc.runId });
    try {
      const stopped = (id: string) => ofContainer(dirs.stateDir, id, "container.idle_stop").length === 1;
      expect(await until(() => stopped(a.id) && stopped(b.id), 90_000), JSON.stringify(d.lines.slice(-10))).toBe(true);
      const mine = engine.events.filter((e) => e.id === a.id || e.id === b.id);
      const lastTerm = Math.max(mine.findIndex((e) => sigterm(e, a.id)), mine.findIndex((e) => sigterm(e, b.id)));
      const firstDie = mine.findIndex((e) => e.action === "die");
      expect(Math.min(mine.findIndex((e) => sigterm(e, a.id)), mine.findIndex((e) => sigterm(e, b.id))), JSON.stringify(mine)).toBeGreaterThanOrEqual(0);
      expect(firstDie, JSON.stringify(mine)).toBeGreaterThan(lastTerm);
    } finally {
      await d.stop("SIGKILL");
    }
  }, 180_000);
});

describe("a container without a shell", () => {
  it("is warned through the archive endpoint (the file is in the container) and then stopped", async () => {
    const dirs = await daemonDirs(fastIdle);
    const c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)], image: NO_SHELL_IMAGE, cmd: ["/bin/busybox", "sleep", "1000"] });
    const d = await startDaemon({ ...dirs, env: await gpuEnv(), runId: tc.runId });
    try {
      const final = () => ofContainer(dirs.stateDir, c.id, "container.idle_final_warning").length === 1;
      expect(await until(final, 60_000), JSON.stringify(d.lines.slice(-10))).toBe(true);
      // The notices are in the container's file: copied out the way `docker cp` does (no shell either).
      const r = await execFileWithTimeout("sh", ["-c", `docker cp "$1:/workspace/.ds01-alerts" - | tar -xO`, "sh", c.id], { timeoutMs: 30_000 });
      const text = r.stdout.toString();
      expect(text, r.stderr.toString()).toMatch(/IDLE CONTAINER WARNING/);
      expect(text).toMatch(/FINAL IDLE WARNING/);
      const stopped = () => ofContainer(dirs.stateDir, c.id, "container.idle_stop").length === 1;
      expect(await until(stopped, 60_000), JSON.stringify(d.lines.slice(-10))).toBe(true);
      expectWarnedOnce(dirs.stateDir, c.id, { delivered: 1 });
      expect(await running(c.id)).toBe(false);
    } finally {
      await d.stop("SIGKILL");
    }
  }, 180_000);
});

describe("a container no channel can reach", () => {
  it("read-only root filesystem, no shell, no terminal, no webhook: warned as undeliverable after two checks, then stopped", async () => {
    const dirs = await daemonDirs(fastIdle);
    const created = await docker.createContainer({
      Image: NO_SHELL_IMAGE, Cmd: ["/bin/busybox", "sleep", "1000"], Labels: { "ds01.user": "alice", [LABEL.testRun]: tc.runId },
      HostConfig: { ReadonlyRootfs: true, RestartPolicy: { Name: "no" }, DeviceRequests: [{ Driver: "", Count: 0, DeviceIDs: [gpuUuid(0)], Capabilities: [["gpu"]], Options: {} }] },
    });
    await created.start();
    const id = created.id;
    const d = await startDaemon({ ...dirs, env: await gpuEnv(), runId: tc.runId });
    try {
      const stopped = () => ofContainer(dirs.stateDir, id, "container.idle_stop").length === 1;
      expect(await until(stopped, 90_000), JSON.stringify(d.lines.slice(-10))).toBe(true);
      expectWarnedOnce(dirs.stateDir, id, { delivered: 0, undeliverable: true, attempts: 2 });
      // Each warning failed once (and was retried) before it counted.
      const failed = ofContainer(dirs.stateDir, id, "action.failed").filter((e) => /not delivered on any channel/.test(String(e.details.error)));
      expect(failed.map((e) => e.details.kind)).toEqual(["warn", "final_warn"]);
      expect(await running(id)).toBe(false);
    } finally {
      await d.stop("SIGKILL");
    }
  }, 180_000);
});

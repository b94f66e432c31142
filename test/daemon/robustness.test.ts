// The daemon rides out trouble without a restart: the Docker engine going away and coming back
// (simulated with a socket proxy we control; the real dockerd is shared with other test runs and
// is never restarted), Docker unreachable from the start, a hanging nvidia-smi, an unreachable
// dcgm-exporter. Real daemon child processes, real Docker, the nvidia-smi stand-in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRIC } from "../../src/constants/metrics.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { useTestContainers } from "../helpers/containers.js";
import { fullGpus, gpuUuid, writeFakeGpuState } from "../helpers/fake-gpus.js";
import { auditEvents, daemonDirs, ensureBuilt, healthz, scrape, startDaemon, until, type DaemonChild } from "./daemon-process.js";
import { dockerProxy } from "./docker-proxy.js";

const tc = useTestContainers("daemon-rb");
const children: DaemonChild[] = [];

beforeAll(() => ensureBuilt(), 200_000);
afterAll(async () => {
  for (const c of children) await c.stop("SIGKILL");
});

const ACTION_TYPES = ["container.idle_stop", "container.runtime_stop", "container.remove", "gpu.orphan_killed", "gpu.reset", "action.failed"];

describe("Docker engine going away and coming back (socket proxy)", () => {
  it("goes degraded, acts on nothing, then recovers without a restart and accounts the exit it missed", async () => {
    const proxy = dockerProxy();
    await proxy.up();
    const gpus = await writeFakeGpuState({ gpus: fullGpus(2) });
    const dirs = await daemonDirs();
    const c = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(1)] });
    const d = await startDaemon({ ...dirs, env: { ...gpus.env, DOCKER_HOST: proxy.dockerHost }, runId: tc.runId });
    children.push(d);
    expect(await until(async () => (await scrape(d.url)).get(METRIC.gpuEquivalentsAllocated) === 1 && (await healthz(d.url)).status === 200, 15_000)).toBe(true);

    // The engine "stops".
    await proxy.down();
    const degraded = await until(async () => {
      const h = await healthz(d.url);
      return h.status === 503 && h.body.reasons.some((r) => r.startsWith("docker unreachable")) ? h : null;
    }, 15_000);
    expect(degraded, JSON.stringify(d.lines.slice(-10))).not.toBeNull();
    const m = await scrape(d.url);
    expect(m.get(METRIC.dockerUp)).toBe(0);
    expect(m.get(`${METRIC.probeErrorsTotal}{source="docker"}`)).toBeGreaterThan(0);
    // While it is away the container exits (behind the daemon's back: no event reaches it).
    expect((await execFileWithTimeout("docker", ["kill", c.id], { timeoutMs: 20_000 })).code).toBe(0);
    // Retries back off: 1 s, 2 s, 4 s ...
    await until(() => d.lines.filter((l) => l.msg === "pass skipped: docker unavailable").length >= 3, 15_000);
    const retries = d.lines.filter((l) => l.msg === "pass skipped: docker unavailable").map((l) => l.retry_in_ms);
    expect(retries.slice(0, 3)).toEqual([1000, 2000, 4000]);

    // The engine "comes back".
    await proxy.up();
    const back = await until(async () => ((await healthz(d.url)).status === 200 ? await scrape(d.url) : null), 30_000);
    expect(back, JSON.stringify(d.lines.slice(-10))).not.toBeNull();
    expect(back!.get(METRIC.dockerUp)).toBe(1);
    expect(back!.get(METRIC.gpuEquivalentsAllocated)).toBe(0);
    const exited = auditEvents(dirs.stateDir, "container.exited").filter((e) => e.containerId === c.id);
    expect(exited.map((e) => e.details.detected_by)).toEqual(["pass"]);
    expect(auditEvents(dirs.stateDir, "gpu.release").filter((e) => e.containerId === c.id).map((e) => e.details.gpu_uuid)).toEqual([gpuUuid(1)]);
    expect(d.lines.some((l) => l.msg === "docker event stream lost")).toBe(true);
    expect(d.lines.filter((l) => l.msg === "daemon started")).toHaveLength(1); // same process throughout
    expect(d.child.exitCode).toBeNull();
    // Nothing was acted on from partial data.
    expect(auditEvents(dirs.stateDir).filter((e) => ACTION_TYPES.includes(e.type))).toEqual([]);
    await proxy.down();
  });

  it("starts and stays up degraded when Docker is not reachable at all", async () => {
    const dirs = await daemonDirs();
    const d = await startDaemon({ ...dirs, env: { DOCKER_HOST: "unix:///nonexistent/docker.sock", DS01_NVIDIA_SMI: "/nonexistent/nvidia-smi" }, runId: tc.runId });
    children.push(d);
    const h = await until(async () => {
      const r = await healthz(d.url);
      return r.status === 503 && r.body.reasons.some((x) => x.startsWith("docker unreachable")) ? r : null;
    }, 10_000);
    expect(h).not.toBeNull();
    expect((await scrape(d.url)).get(METRIC.dockerUp)).toBe(0);
    expect(h!.body.reasons.join()).not.toMatch(/GPU/); // no nvidia-smi on the host is not a GPU probe failure
    expect(d.child.exitCode).toBeNull();
    expect(await d.stop("SIGTERM")).toEqual({ code: 0, signal: null });
  });
});

describe("GPU probe trouble", () => {
  it("kills a hanging nvidia-smi at its timeout, reports degraded and counts errors, then recovers; counts dcgm-exporter failures", async () => {
    const gpus = await writeFakeGpuState({ gpus: fullGpus(1) });
    const dirs = await daemonDirs((y) => y.replace("probe_timeout_s: 2", "probe_timeout_s: 1.5").replace("dcgm_exporter_url: null", "dcgm_exporter_url: http://127.0.0.1:1/metrics"));
    const d = await startDaemon({ ...dirs, env: gpus.env, runId: tc.runId });
    children.push(d);
    expect(await until(async () => ((await scrape(d.url)).get(`${METRIC.probeErrorsTotal}{source="dcgm"}`) ?? 0) > 0, 15_000)).toBe(true);
    // (A slow machine may already have timed out a call or two: compare with the count before the hang.)
    const before = (await scrape(d.url)).get(`${METRIC.probeErrorsTotal}{source="nvidia_smi"}`) ?? 0;

    await gpus.update((s) => void (s.hang_ms = 30_000));
    const h = await until(async () => {
      const r = await healthz(d.url);
      return r.status === 503 && r.body.reasons.some((x) => x.startsWith("GPU probe failing")) ? r : null;
    }, 15_000);
    expect(h, JSON.stringify(d.lines.slice(-10))).not.toBeNull();
    expect(h!.body.reasons.join()).toMatch(/timed out after 1500 ms/);
    expect((await scrape(d.url)).get(`${METRIC.probeErrorsTotal}{source="nvidia_smi"}`)).toBeGreaterThan(before);
    // Passes still finish (GPU signals unknown), and no stand-in is left hanging.
    expect(await d.waitForLog((l) => l.msg === "pass finished" && typeof l.gpu_error === "string", 10_000)).not.toBeNull();

    await gpus.update((s) => void (s.hang_ms = 0));
    expect(await until(async () => (await healthz(d.url)).status === 200, 15_000)).toBe(true);
    expect(await d.stop("SIGTERM")).toEqual({ code: 0, signal: null });
  });
});

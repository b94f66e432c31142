// No nvidia-smi where GPUs are expected is trouble the daemon shows (/healthz degraded, the
// nvidia_smi probe error counter); on a host that expects none it stays quiet.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRIC } from "../../src/constants/metrics.js";
import { useTestContainers } from "../helpers/containers.js";
import { gpuUuid } from "../helpers/fake-gpus.js";
import { daemonDirs, ensureBuilt, healthz, scrape, startDaemon, until, type DaemonChild } from "./daemon-process.js";

const tc = useTestContainers("daemon-gpuexp");
const children: DaemonChild[] = [];
const NO_SMI = { DS01_NVIDIA_SMI: "/nonexistent/nvidia-smi" };
const errors = async (url: string) => (await scrape(url)).get(`${METRIC.probeErrorsTotal}{source="nvidia_smi"}`) ?? 0;

beforeAll(() => ensureBuilt(), 200_000);
afterAll(async () => {
  for (const c of children) await c.stop("SIGKILL");
});

describe("gpu.expected", { timeout: 120_000 }, () => {
  it("auto: a container asking for a GPU and no nvidia-smi → degraded with the reason, errors counted", async () => {
    await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(1)] });
    const d = await startDaemon({ ...(await daemonDirs()), env: NO_SMI, runId: tc.runId });
    children.push(d);
    const h = await until(async () => {
      const r = await healthz(d.url);
      return r.status === 503 && r.body.reasons.some((x) => x.startsWith("GPU probe failing")) ? r : null;
    }, 20_000);
    expect(h?.body.reasons).toContainEqual(expect.stringMatching(/^GPU probe failing: GPUs are expected here but nvidia-smi/));
    expect(await errors(d.url)).toBeGreaterThan(0);
    await d.stop("SIGTERM");
    await tc.removeAll();
  });

  it("true: degraded even with no GPU container; false: ok", async () => {
    const on = await startDaemon({ ...(await daemonDirs((y) => y.replace("expected: auto", "expected: true"))), env: NO_SMI, runId: tc.runId });
    children.push(on);
    const h1 = await until(async () => {
      const r = await healthz(on.url);
      return r.status === 503 && r.body.reasons.some((x) => x.startsWith("GPU probe failing: GPUs are expected here")) ? r : null;
    }, 20_000);
    expect(h1).not.toBeNull();
    await on.stop("SIGTERM");
    const off = await startDaemon({ ...(await daemonDirs((y) => y.replace("expected: auto", "expected: false"))), env: NO_SMI, runId: tc.runId });
    children.push(off);
    // Two passes (2 s interval) with nothing to report: still ok, no probe error.
    expect(await until(async () => (((await scrape(off.url)).get(`${METRIC.passDuration}_count`) ?? 0) >= 2 ? true : null), 20_000)).toBe(true);
    const h = await healthz(off.url);
    expect([h.status, h.body.reasons]).toEqual([200, []]);
    expect(await errors(off.url)).toBe(0);
    await off.stop("SIGTERM");
  });
});

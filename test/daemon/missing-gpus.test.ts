// A GPU that fell off the bus (nvidia-smi's <attached_gpus> larger than the GPUs it lists): the
// daemon keeps working with the GPUs it read and makes the missing one visible — an audit record
// (`gpu.alert`, reason gpus_missing), the ds01_gpus_missing gauge and a /healthz warning — once,
// not at every pass.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRIC } from "../../src/constants/metrics.js";
import { useTestContainers } from "../helpers/containers.js";
import { gpuUuid, writeFakeGpuState } from "../helpers/fake-gpus.js";
import { auditEvents, daemonDirs, ensureBuilt, healthz, scrape, startDaemon, until, type DaemonChild } from "./daemon-process.js";

const tc = useTestContainers("daemon-missing");
let d: DaemonChild | null = null;

beforeAll(() => ensureBuilt(), 200_000);
afterAll(async () => {
  await d?.stop("SIGKILL");
});

describe("GPUs missing from nvidia-smi", { timeout: 120_000 }, () => {
  it("are audited once, counted in a gauge and warned about, while the GPUs read stay in use", async () => {
    const fake = await writeFakeGpuState({ attached_gpus: 3, gpus: [0, 1].map((index) => ({ index, uuid: gpuUuid(index, "5e5e5e5e"), util: 0 })) });
    const dirs = await daemonDirs();
    d = await startDaemon({ ...dirs, env: fake.env, runId: tc.runId });
    const alert = await until(async () => auditEvents(dirs.stateDir, "gpu.alert").find((e) => e.details.reason === "gpus_missing"), 20_000);
    expect(alert?.details).toMatchObject({ missing_gpus: 1, read_gpus: 2 });
    const m = await scrape(d.url);
    expect(m.get(METRIC.gpusMissing)).toBe(1);
    expect(m.get(`${METRIC.gpuSlotsTotal}{kind="full"}`)).toBe(2); // the GPUs read are still there
    expect((await healthz(d.url)).body.warnings.join()).toMatch(/1 attached GPU is missing from nvidia-smi's output/);
    // Two more passes (2 s interval): still one record.
    const passes = (await scrape(d.url)).get(`${METRIC.passDuration}_count`) ?? 0;
    await until(async () => (((await scrape(d!.url)).get(`${METRIC.passDuration}_count`) ?? 0) >= passes + 2 ? true : null), 20_000);
    expect(auditEvents(dirs.stateDir, "gpu.alert").filter((e) => e.details.reason === "gpus_missing")).toHaveLength(1);
    await d.stop("SIGTERM");
    d = null;
  });
});

// A real Prometheus (Debian's binary) scrapes the real daemon on loopback with the shipped alert and
// recording rules loaded: every rule loads, the scrape is healthy, and the rules' expressions
// evaluate on the daemon's live series.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRIC } from "../../src/constants/metrics.js";
import { useTestContainers } from "../helpers/containers.js";
import { fullGpus, gpuUuid, writeFakeGpuState } from "../helpers/fake-gpus.js";
import { promGet, startPrometheus, type PrometheusServer } from "../deploy/prometheus-server.js";
import { repoPath, skipReason, which } from "../deploy/tools.js";
import { daemonDirs, ensureBuilt, startDaemon, until, type DaemonChild } from "./daemon-process.js";

const tc = useTestContainers("daemon-prom");

interface QueryBody {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}
interface RulesBody {
  data: { groups: { name: string; rules: { name: string; type: string; health: string; lastError?: string }[] }[] };
}
interface TargetsBody {
  data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] };
}

describe.skipIf(!which("prometheus"))(`a real Prometheus scraping the daemon${skipReason("prometheus")}`, () => {
  let d: DaemonChild | null = null;
  let prom: PrometheusServer | null = null;
  const query = async (expr: string) => (await promGet<QueryBody>(`${prom!.url}/api/v1/query?query=${encodeURIComponent(expr)}`)).body;

  beforeAll(async () => {
    await ensureBuilt();
    const gpus = await writeFakeGpuState({ gpus: fullGpus(2) });
    const dirs = await daemonDirs();
    await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)] });
    d = await startDaemon({ ...dirs, env: gpus.env, runId: tc.runId });
    const cfgDir = await mkdtemp(join(tmpdir(), "ds01-prom-daemon-"));
    const cfg = join(cfgDir, "prometheus.yml");
    await writeFile(
      cfg,
      [
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "rule_files:",
        `  - ${repoPath("deploy/monitoring/prometheus/rules")}/*.yml`,
        "scrape_configs:",
        "  - job_name: ds01",
        "    scrape_interval: 1s",
        "    static_configs:",
        `      - targets: ["${new URL(d.url).host}"]`,
        "",
      ].join("\n"),
    );
    prom = await startPrometheus({ configFile: cfg });
  }, 240_000);

  afterAll(async () => {
    await prom?.stop();
    await d?.stop("SIGTERM");
  });

  it("scrapes /metrics on loopback and loads every shipped rule without error", async () => {
    const target = await until(async () => {
      const t = (await promGet<TargetsBody>(`${prom!.url}/api/v1/targets`)).body.data.activeTargets.find((x) => x.labels.job === "ds01");
      return t?.health === "up" ? t : null;
    }, 30_000, 250);
    expect(target, prom!.log()).not.toBeNull();
    const rules = (await promGet<RulesBody>(`${prom!.url}/api/v1/rules`)).body.data.groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.type === "alerting").map((r) => r.name)).toEqual(expect.arrayContaining(["DS01DaemonDown", "DS01PassStale", "DS01DockerUnreachable", "DS01GPUProbeFailing", "DS01HighDemandSustained"]));
    for (const r of rules) expect(r.health, `${r.name}: ${r.lastError ?? ""}`).not.toBe("err");
  });

  it("has the daemon's series, and the rules' expressions evaluate on them", async () => {
    const total = await until(async () => (await query(METRIC.gpuEquivalentsTotal)).data.result[0]?.value[1], 20_000, 250);
    expect(total).toBe("2");
    expect((await query(`${METRIC.gpuEquivalentsAllocated}`)).data.result[0]?.value[1]).toBe("1");
    // Recording rules are evaluated every 30 s by their group; their expressions work now.
    expect((await query("ds01_gpu_equivalents_total - ds01_gpu_equivalents_allocated")).data.result[0]?.value[1]).toBe("1");
    expect((await query(`sum by (user) (${METRIC.userGpuEquivalents})`)).data.result).toEqual([expect.objectContaining({ metric: { user: "alice" } })]);
    // The daemon is healthy: the alert conditions select nothing.
    expect((await query(`time() - ${METRIC.lastSuccessfulPass} > 3 * ${METRIC.passInterval}`)).data.result).toEqual([]);
    expect((await query(`${METRIC.dockerUp} == 0`)).data.result).toEqual([]);
    expect((await query(`up{job="ds01"} == 0 or absent(up{job="ds01"})`)).data.result).toEqual([]);
  });
});

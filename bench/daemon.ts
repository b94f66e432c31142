// Daemon steady-state benchmark: resident memory and CPU of `ds01 daemon` watching N containers
// (most of them idle `sleep` containers), and the exit-to-accounted latency of GPU containers.
//
// Run (on the test machine, after `npm run build`, which the daemon child needs):
//
//   npm run build && npm run bench:build && node node_modules/.cache/ds01-bench/bench/daemon.js \
//       [--containers 1000] [--gpu-containers 20] [--window 330] [--kills 20] \
//       [--sample-interval 30] [--pass-interval 300] [--concurrency 8] \
//       [--variants="--max-semi-space-size=2 env:DS01_V8_OPTIMIZE=1;--max-semi-space-size=2"] \
//       [--daemon-env MALLOC_ARENA_MAX=1]
//
// What it does:
//  1. creates N containers labelled `ds01.test.run=bench-daemon-…` (N - K plain `sleep 36000`,
//     K with a fake GPU DeviceRequest, one stand-in GPU each), in parallel batches, and times it;
//  2. starts the real daemon (`node bin/ds01.js daemon`) on a copy of config/default with the
//     given intervals (defaults = the shipped ones: sample 30 s, pass 300 s), scoped to those
//     containers (DS01_SCOPE_LABEL) and the nvidia-smi stand-in;
//  3. for each --variants entry (NODE_OPTIONS of the daemon; "default" = none) a fresh daemon, and
//     after its first pass, measures over --window seconds: CPU (utime+stime from /proc/PID/stat,
//     as % of one core) and resident memory (VmRSS from /proc/PID/status, sampled every 5 s). The
//     default window (330 s) holds one scheduled pass and ~11 samples at the default intervals;
//  4. kills the K GPU containers one by one (`POST /containers/ID/kill`), and for each measures
//     (a) Docker's die event → the daemon's gpu.release record (the daemon's own reaction), and
//     (b) the kill request → the gpu.release record visible to a reader of the store (end to end,
//     polled every 10 ms), printing p50 and p99;
//  5. SIGTERMs the daemon (time to exit printed) and removes every container it created (also on Ctrl-C).
import { spawn, type ChildProcess } from "node:child_process";
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Dockerode from "dockerode";
import { LABEL } from "../src/constants/labels.js";
import { mapLimit } from "../src/docker/map-limit.js";
import { openStore } from "../src/store/index.js";
import { createTestContainer, newRunId, removeTestContainers, type TestContainer } from "../test/helpers/containers.js";
import { fullGpus, gpuUuid, writeFakeGpuState } from "../test/helpers/fake-gpus.js";
import { percentile } from "./percentile.js";

const { values } = parseArgs({
  options: {
    containers: { type: "string", default: "1000" },
    "gpu-containers": { type: "string", default: "20" },
    window: { type: "string", default: "330" },
    kills: { type: "string", default: "20" },
    "sample-interval": { type: "string", default: "30" },
    "pass-interval": { type: "string", default: "300" },
    concurrency: { type: "string", default: "8" },
    // NODE_OPTIONS for each daemon run, ";"-separated; "default" = none. An entry may also hold
    // "launcher=PATH" (run PATH instead of bin/ds01.js) and "env:K=V" tokens.
    variants: { type: "string", default: "--max-semi-space-size=2 env:DS01_V8_OPTIMIZE=1;--max-semi-space-size=2" },
    // Extra environment for every daemon run, "K=V,K=V" (e.g. MALLOC_ARENA_MAX=1 as the unit sets it).
    "daemon-env": { type: "string", default: "" },
  },
});
const N = Number(values.containers);
const K = Math.min(Number(values["gpu-containers"]), N);
const KILLS = Math.min(Number(values.kills), K);
const WINDOW_S = Number(values.window);
const CONCURRENCY = Number(values.concurrency);
const DAEMON_ENV = Object.fromEntries(
  values["daemon-env"]
    .split(",")
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);

// The compiled bench lives in node_modules/.cache/ds01-bench/bench/: find the repo root from the cwd.
const REPO = process.cwd();
const BIN = join(REPO, "bin/ds01.js");
const CLK_TCK = 100; // USER_HZ on Linux
const docker = new Dockerode({ timeout: 60_000 });
const runId = newRunId("bench-daemon");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let daemon: ChildProcess | null = null;

let cleaning: Promise<void> | null = null;
const cleanup = () => (cleaning ??= removeTestContainers(runId).catch((e: unknown) => console.error("cleanup failed:", e)));
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

function cpuTicks(pid: number): number {
  // Fields after the command name (which may contain spaces): utime is field 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(rest[11]) + Number(rest[12]);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Resident memory by kind: anonymous (heaps, malloc), file-backed (code, mapped files), shared. */
function rssParts(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return `anon ${kb("RssAnon").toFixed(1)} MB, file ${kb("RssFile").toFixed(1)} MB, shmem ${kb("RssShmem").toFixed(1)} MB`;
}

const pct = percentile;

async function measure(variant: string, gpuEnv: Record<string, string>) {
  // Tokens "launcher=PATH" (run PATH instead of bin/ds01.js) and "env:K=V" (extra environment) are
  // taken out of the entry; the rest is NODE_OPTIONS.
  const tokens = variant.split(/\s+/).filter(Boolean);
  const bin = tokens.find((t) => t.startsWith("launcher="))?.slice("launcher=".length) ?? BIN;
  const variantEnv = Object.fromEntries(tokens.filter((t) => t.startsWith("env:")).map((t) => [t.slice(4, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]));
  const nodeOptions = tokens.filter((t) => !t.startsWith("launcher=") && !t.startsWith("env:")).join(" ") || "default";
  const configDir = await mkdtemp(join(tmpdir(), "ds01-bench-config-"));
  const stateDir = await mkdtemp(join(tmpdir(), "ds01-bench-state-"));
  await cp(join(REPO, "config/default"), configDir, { recursive: true });
  const rl = join(configDir, "resource-limits.yaml");
  await writeFile(rl, (await readFile(rl, "utf8")).replace(/sample_interval_s: 30 /, `sample_interval_s: ${values["sample-interval"]} `).replace(/pass_interval_s: 300 /, `pass_interval_s: ${values["pass-interval"]} `));
  const child = spawn(process.execPath, [bin, "--config", configDir, "--state-dir", stateDir, "daemon", "--listen", "127.0.0.1:0"], {
    env: { ...process.env, ...gpuEnv, ...DAEMON_ENV, ...variantEnv, DS01_SCOPE_LABEL: `${LABEL.testRun}=${runId}`, DS01_LOG_LEVEL: "info", NODE_OPTIONS: nodeOptions === "default" ? "" : nodeOptions },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let buf = "";
  child.stderr.on("data", (c: Buffer) => {
    buf += c.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        console.error(l);
      }
    }
  });
  daemon = child;
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const pid = child.pid!;
  const passes = () => lines.filter((l) => l.msg === "pass finished");
  for (const deadline = Date.now() + 600_000; passes().length === 0 && Date.now() < deadline && child.exitCode === null && child.signalCode === null; ) await sleep(200);
  const first = passes()[0];
  if (!first) throw new Error(`the daemon (NODE_OPTIONS=${nodeOptions}) finished no pass${child.exitCode !== null ? ` and exited ${child.exitCode}` : ""}: ${JSON.stringify(lines.slice(-5))}`);
  console.log(`[${variant}] first pass: ${String(first.duration_ms)} ms over ${String(first.containers)} containers; RSS after it ${rssMb(pid).toFixed(1)} MB`);
  await sleep(5000); // let the event stream settle and any follow-up pass finish

  // 3. steady state
  const rss: number[] = [];
  const c0 = cpuTicks(pid);
  const w0 = Date.now();
  const passesBefore = passes().length;
  while (Date.now() - w0 < WINDOW_S * 1000) {
    rss.push(rssMb(pid));
    await sleep(Math.min(5000, WINDOW_S * 1000 - (Date.now() - w0)));
  }
  const c1 = cpuTicks(pid);
  const wallS = (Date.now() - w0) / 1000;
  rss.push(rssMb(pid));
  const cpuS = (c1 - c0) / CLK_TCK;
  const windowPasses = passes().slice(passesBefore);
  console.log(`[${variant}] steady state over ${wallS.toFixed(0)} s: CPU ${cpuS.toFixed(2)} s = ${(100 * cpuS / wallS).toFixed(3)} % of one core; RSS max ${Math.max(...rss).toFixed(1)} MB, last ${rss.at(-1)!.toFixed(1)} MB (${rssParts(pid)}); passes in the window: ${windowPasses.length} (${windowPasses.map((p) => `${String(p.duration_ms)} ms`).join(", ")})`);

  const stop = async () => {
    const s0 = Date.now();
    child.kill("SIGTERM");
    const code = await exited;
    console.log(`[${variant}] SIGTERM → exit ${String(code)} in ${Date.now() - s0} ms`);
  };
  return { stateDir, pid, stop };
}

async function main(): Promise<void> {
  console.log(`bench/daemon: N=${N} containers (${K} with a GPU), window ${WINDOW_S} s, intervals sample ${values["sample-interval"]} s / pass ${values["pass-interval"]} s; daemon env ${JSON.stringify(DAEMON_ENV)}; load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  const gpus = await writeFakeGpuState({ gpus: fullGpus(Math.max(K, 1)) });

  // 1. containers
  const t0 = Date.now();
  const gpuContainers: TestContainer[] = [];
  await mapLimit(Array.from({ length: N }, (_, i) => i), CONCURRENCY, async (i) => {
    const withGpu = i < K;
    // The idle ones have no network: dockerd 20.10's network code deadlocked (every container
    // operation hung) while hundreds of bridged containers were removed at once at the end of a run.
    const c = await createTestContainer(runId, { cmd: ["sleep", "36000"], labels: { "ds01.user": `bench${i % 20}` }, ...(withGpu ? { gpus: [gpuUuid(i)] } : { networkMode: "none" }) });
    if (withGpu) gpuContainers.push(c);
    if ((i + 1) % 100 === 0) process.stdout.write(`  created ${i + 1}/${N} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  });
  const createdS = (Date.now() - t0) / 1000;
  console.log(`created ${N} containers in ${createdS.toFixed(1)} s (${(createdS / N * 1000).toFixed(0)} ms each at concurrency ${CONCURRENCY})`);

  // 2.-3. one daemon per variant (NODE_OPTIONS), each measured over the window; the last one stays for the kills
  const variants = values.variants.split(";").map((v) => v.trim());
  let last: Awaited<ReturnType<typeof measure>> | null = null;
  for (const v of variants) {
    if (last) await last.stop();
    last = await measure(v, gpus.env);
  }
  const { stateDir, pid, stop } = last!;

  // 4. exit-to-accounted latency
  const store = openStore(stateDir, { readonly: true });
  const internal: number[] = [];
  const e2e: number[] = [];
  try {
    for (const c of gpuContainers.slice(0, KILLS)) {
      const t = Date.now();
      await docker.getContainer(c.id).kill();
      let found = null;
      for (const deadline = Date.now() + 30_000; !found && Date.now() < deadline; ) {
        found = store.query({ since: t - 1000, type: "gpu.release" }).find((e) => e.containerId === c.id) ?? null;
        if (!found) await sleep(10);
      }
      if (!found) {
        console.log(`  ${c.name}: no gpu.release within 30 s`);
        continue;
      }
      e2e.push(Date.now() - t);
      const exit = store.query({ since: t - 1000, type: "container.exited" }).find((e) => e.containerId === c.id);
      if (typeof exit?.details.docker_time === "number") internal.push(found.time - exit.details.docker_time);
      await sleep(1000);
    }
  } finally {
    store.close();
  }
  const show = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? `p50 ${pct(s, 50)} ms, p99 ${pct(s, 99)} ms, max ${s.at(-1)} ms (n=${s.length})` : "no data";
  };
  console.log(`exit → accounted, Docker die event → gpu.release recorded: ${show(internal)}`);
  console.log(`exit → accounted, kill request → gpu.release visible in the store: ${show(e2e)}`);
  console.log(`RSS after the kills: ${rssMb(pid).toFixed(1)} MB; load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);

  // 5. shutdown
  await stop();
}

main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(async () => {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) daemon.kill("SIGKILL");
    const t = Date.now();
    await cleanup();
    console.log(`removed the bench containers in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  });

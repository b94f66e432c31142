// Observation benchmark: how long ds01 takes to see N running GPU containers on the real Docker
// engine — list (+ inspect), identity, activity sampling (cgroup + /proc counters) and a GPU probe
// through the nvidia-smi stand-in — for N = 50, 100, 200, to show how it grows.
//
// Run (as root, on the test machine; no extra packages — tsc compiles just this file's imports):
//
//   npx tsc --module nodenext --moduleResolution nodenext --target es2022 --skipLibCheck \
//       --outDir node_modules/.cache/ds01-bench bench/observe.ts \
//     && node node_modules/.cache/ds01-bench/bench/observe.js [--sizes 50,100,200] [--reps 5] [--concurrency 6]
//
// (The output lives under node_modules/ so `dockerode` and `zod` resolve as usual.)
// It creates `sleep` containers labelled `ds01.test.run=bench-…` with fake GPU DeviceRequests, and
// removes them at the end (also on Ctrl-C). It prints min / median / max milliseconds per phase.
// It waits SETTLE_MS (2 min) after creating them, so a run takes a few minutes.
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LABEL } from "../src/constants/labels.js";
import { DockerRuntime } from "../src/docker/docker-runtime.js";
import { DEFAULT_IDENTITY_OPTIONS, identify } from "../src/docker/identity.js";
import { SETTLE_MS } from "../src/docker/inspect-cache.js";
import { mapLimit } from "../src/docker/map-limit.js";
import { NvidiaSmiProbe } from "../src/gpu/nvidia-smi-probe.js";
import type { ObservedContainer } from "../src/model/container.js";
import type { GpuProbe } from "../src/model/ports.js";
import { sampleAll, type ActivityReading } from "../src/signals/activity.js";
import { createTestContainer, newRunId } from "../test/helpers/containers.js";
import { runWithCleanup } from "./run-with-cleanup.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "50,100,200" },
    reps: { type: "string", default: "5" },
    concurrency: { type: "string", default: "6" },
  },
});
const sizes = values.sizes.split(",").map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const reps = Math.max(1, Number(values.reps));
const createConcurrency = Math.max(1, Number(values.concurrency));
const runId = newRunId("bench");
const scope = `${LABEL.testRun}=${runId}`;

const fakeGpu = (n: number) => `GPU-b0b0b0b0-0000-0000-0000-${String(n).padStart(12, "0")}`;
const fakeMig = (g: number, d: number) => `MIG-b1b1b1b1-${String(g).padStart(4, "0")}-${String(d).padStart(4, "0")}-0000-000000000000`;

/** Eight GPUs: four full, four in MIG mode with 7 × 1g.10gb each; a few processes. */
function standInState() {
  return {
    gpus: Array.from({ length: 8 }, (_, i) => ({
      index: i,
      uuid: fakeGpu(i),
      util: i < 4 ? 10 * i : null,
      memory_used_mib: 1000,
      memory_total_mib: 81559,
      mig_mode: i < 4 ? "Disabled" : "Enabled",
      mig_devices: i < 4 ? [] : Array.from({ length: 7 }, (_, d) => ({ profile: "1g.10gb", gi: 7 + d, ci: 0, uuid: fakeMig(i, d), memory_used_mib: 9, memory_total_mib: 9984 })),
      processes: i < 4 ? [{ pid: 100000 + i, name: "python", used_memory_mib: 500 }] : [],
    })),
  };
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const med = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `${s[0]!.toFixed(0).padStart(5)} ${med.toFixed(0).padStart(6)} ${s[s.length - 1]!.toFixed(0).padStart(5)}`;
}

async function time<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await f();
  return [r, performance.now() - t];
}

async function main(): Promise<void> {
  const standIn = join(process.cwd(), "test/stand-in/nvidia-smi"); // run from the repository root
  let probe: GpuProbe | null = null;
  let stateDir: string | null = null;
  if (existsSync(standIn)) {
    stateDir = await mkdtemp(join(tmpdir(), "ds01-bench-"));
    const stateFile = join(stateDir, "state.json");
    await writeFile(stateFile, JSON.stringify(standInState()));
    probe = new NvidiaSmiProbe({ path: standIn, timeoutMs: 30_000, env: { ...process.env, DS01_FAKE_NVIDIA_SMI_STATE: stateFile } });
  }
  console.log(`ds01 observation benchmark — run ${runId}, ${reps} repetitions per size, GPU probe: ${probe ? "nvidia-smi stand-in" : "none"}`);
  console.log(`phase times in ms: min median max; load average now ${loadavg().map((x) => x.toFixed(1)).join(" ")} (${cpus().length} CPUs)`);
  console.log("list cold = list + one inspect per container; list warm = inspect bodies reused (steady state)");

  // All containers first (the largest size); container k carries `ds01.bench.n<N>` for every size
  // N > k, so a label filter selects the first N. Then wait until the youngest has run for the
  // inspect cache's settle time, so the warm figures are the daemon's steady state.
  const max = sizes[sizes.length - 1]!;
  const t0 = performance.now();
  await mapLimit(Array.from({ length: max }, (_, k) => k), createConcurrency, (k) =>
    createTestContainer(runId, {
      name: `ds01-bench-${runId}-${k}`,
      labels: {
        [LABEL.user]: `user${k % 20}`,
        [LABEL.managed]: "true",
        [LABEL.gpuUuid]: fakeGpu(k % 4),
        ...Object.fromEntries(sizes.filter((n) => k < n).map((n) => [`ds01.bench.n${n}`, "1"])),
      },
      gpus: k % 5 === 4 ? [fakeMig(4 + (k % 4), k % 7)] : [fakeGpu(k % 4)],
    }),
  );
  const createdAt = performance.now();
  console.log(`(created ${max} containers in ${((createdAt - t0) / 1000).toFixed(0)} s; waiting ${SETTLE_MS / 1000} s for them to settle)\n`);
  await new Promise((r) => setTimeout(r, SETTLE_MS + 5000));
  console.log(`${"N".padStart(4)}  ${"list cold".padEnd(18)}  ${"list warm".padEnd(18)}  ${"identity".padEnd(18)}  ${"activity".padEnd(18)}  ${"gpu probe".padEnd(18)}  total warm (list ∥ probe, then identity + activity)`);

  for (const n of sizes) {
    const filter = { label: [scope, `ds01.bench.n${n}=1`] };
    const cold = new DockerRuntime({ timeoutMs: 60_000, inspectCacheMaxAgeMs: 0 });
    const warm = new DockerRuntime({ timeoutMs: 60_000 });
    const phases = { cold: [] as number[], list: [] as number[], identity: [] as number[], activity: [] as number[], probe: [] as number[], total: [] as number[] };
    let previous = new Map<string, ActivityReading>();
    for (let r = 0; r <= reps; r++) {
      const [coldList, coldMs] = await time(() => cold.list(filter));
      if (coldList.length !== n) throw new Error(`expected ${n} bench containers, listed ${coldList.length} (removed by someone else?)`);
      const start = performance.now();
      const [[list, listMs], [, probeMs]] = await Promise.all([time(() => warm.list(filter)), time(async () => (probe ? probe.inventory() : null))]);
      const [observed, idMs] = await time(async () => list.map((c): ObservedContainer => ({ ...c, identity: identify(c, DEFAULT_IDENTITY_OPTIONS) })));
      const prev = previous;
      const [readings, actMs] = await time(() => sampleAll(observed, (id) => prev.get(id) ?? { lastCpu: null, lastNet: null }, { runtime: warm, now: Date.now }));
      const total = performance.now() - start;
      previous = readings;
      if (r === 0) continue; // warm-up: fills the inspect cache; the first activity sample has no baseline
      const known = [...readings.values()].filter((x) => x.cpuPct !== null).length;
      if (known !== n) console.warn(`  note: ${n - known} of ${n} containers had no CPU reading`);
      phases.cold.push(coldMs);
      phases.list.push(listMs);
      phases.identity.push(idMs);
      phases.activity.push(actMs);
      if (probe) phases.probe.push(probeMs);
      phases.total.push(total);
    }
    console.log(
      `${String(n).padStart(4)}  ${stats(phases.cold).padEnd(18)}  ${stats(phases.list).padEnd(18)}  ${stats(phases.identity).padEnd(18)}  ${stats(phases.activity).padEnd(18)}  ${(probe ? stats(phases.probe) : "-").padEnd(18)}  ${stats(phases.total)}`,
    );
  }
  console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(1)).join(" ")} (${cpus().length} CPUs)`);
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
}

runWithCleanup(runId, main, "\nbench containers removed");

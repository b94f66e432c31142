// One-shot benchmark: `ds01 check --dry-run --json`, `ds01 status --json` and `ds01 --help` as whole
// processes (what cron users and admins wait for), against `docker inspect` of the same containers
// run as a process in the same run, so the figures are ratios that survive a noisy machine.
//
// Run (as root, on the test machine, from the repository root):
//
//   npm run build && node --import ./test/store/fixtures/register-ts.mjs bench/oneshot.ts \
//       [--sizes 20,200] [--reps 7] [--concurrency 6] [--compare /path/to/other/bin/ds01.js]
//
// --compare times another build's launcher (say, a checkout of the commit before a change, built)
// in the same repetitions, on the same containers, with state directories of its own.
//
// It creates max(sizes) running `sleep` containers labelled `ds01.test.run=bench-oneshot-…`, each
// with a fake GPU DeviceRequest, and removes them at the end (also on Ctrl-C). Container k carries
// `ds01.bench.n<N>=<run>` for every size N > k; DS01_SCOPE_LABEL selects the first N for ds01,
// and `docker inspect` gets the same N ids. The GPU probe is the nvidia-smi stand-in (8 GPUs),
// the config a copy of config/default. It waits SETTLE_MS (2 min) after creating the containers,
// so Docker-side caches are in the steady state of a real fleet. Before each size, one real pass
// (`ds01 check --json`, which must plan no action) writes the records a running daemon's passes
// would have written; `status` runs with that store and, to show the fallback, with an empty store
// (a caller who may not read the store: two samples STATUS_SAMPLE_MS apart). Each repetition runs
// the commands one after another in a fixed order; it prints min / median / max wall milliseconds
// and each median as a ratio to the inspect median.
import { spawn } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { LABEL } from "../src/constants/labels.js";
import { SETTLE_MS } from "../src/docker/inspect-cache.js";
import { mapLimit } from "../src/docker/map-limit.js";
import { openStore } from "../src/store/index.js";
import { createTestContainer, newRunId } from "../test/helpers/containers.js";
import { runWithCleanup } from "./run-with-cleanup.js";
import { fullGpus, gpuUuid, writeFakeGpuState } from "../test/helpers/fake-gpus.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "20,200" },
    reps: { type: "string", default: "7" },
    concurrency: { type: "string", default: "6" },
    compare: { type: "string" },
  },
});
const sizes = values.sizes.split(",").map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const reps = Math.max(1, Number(values.reps));
const BINS: [string, string][] = [["ds01", join(process.cwd(), "bin/ds01.js")], ...(values.compare ? [["compared", values.compare] as [string, string]] : [])];
const runId = newRunId("bench-oneshot");
const sizeLabel = (n: number) => `ds01.bench.n${n}`;

interface Timed {
  ms: number;
  code: number;
  out: string;
  err: string;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ ms: performance.now() - t, code: code ?? -1, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() }));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const stats = (xs: number[]) => `${Math.min(...xs).toFixed(0).padStart(5)} ${median(xs).toFixed(0).padStart(6)} ${Math.max(...xs).toFixed(0).padStart(5)}`;

function expectOk(what: string, r: Timed, check: (json: unknown) => string | null): void {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.err.slice(0, 2000)}${r.out.slice(0, 2000)}`);
  const problem = check(/^\s*[[{]/.test(r.out) ? JSON.parse(r.out) : r.out);
  if (problem) throw new Error(`${what}: ${problem}`);
}

async function main(): Promise<void> {
  const max = sizes.at(-1)!;
  const work = await mkdtemp(join(tmpdir(), "ds01-bench-oneshot-"));
  const configDir = join(work, "config");
  await cp(join(process.cwd(), "config/default"), configDir, { recursive: true });
  // Per build: a store the real pass fills, and an empty one (a caller who may not read the store).
  const states = BINS.map(([, bin], i) => {
    const full = join(work, `state-${i}`);
    const empty = join(work, `empty-state-${i}`);
    openStore(full).close();
    openStore(empty).close();
    return { bin, full, empty };
  });
  const gpus = await writeFakeGpuState({ gpus: fullGpus(8) });
  const env = { ...process.env, ...gpus.env };
  const ds01 = (bin: string, state: string, scope: string, args: string[]) => timed(process.execPath, [bin, "--config", configDir, "--state-dir", state, ...args], { ...env, DS01_SCOPE_LABEL: scope });

  console.log(`ds01 one-shot benchmark — run ${runId}, ${reps} repetitions per size; load average ${loadavg().map((x) => x.toFixed(1)).join(" ")} (${cpus().length} CPUs)`);
  const t0 = performance.now();
  const created = await mapLimit(Array.from({ length: max }, (_, k) => k), Math.max(1, Number(values.concurrency)), (k) =>
    createTestContainer(runId, {
      name: `ds01-bench-${runId}-${k}`,
      labels: {
        [LABEL.user]: `user${k % 20}`,
        [LABEL.managed]: "true",
        [LABEL.gpuUuid]: gpuUuid(k % 8),
        ...Object.fromEntries(sizes.filter((n) => k < n).map((n) => [sizeLabel(n), runId])),
      },
      gpus: [gpuUuid(k % 8)],
    }),
  );
  console.log(`(created ${max} running GPU containers in ${((performance.now() - t0) / 1000).toFixed(0)} s; waiting ${SETTLE_MS / 1000} s for them to settle)\n`);
  await new Promise((r) => setTimeout(r, SETTLE_MS + 5000));

  type Times = { check: number[]; status: number[]; statusEmpty: number[]; help: number[] };
  const help = BINS.map(() => [] as number[]);
  // The floor for --help: Node itself starting and exiting, in the same rounds.
  const bareNode: number[] = [];
  console.log("wall ms per process: min median max (ratio = median / median of docker inspect of the same containers)");
  for (const n of sizes) {
    const ids = created.slice(0, n).map((c) => c.id);
    const scope = `${sizeLabel(n)}=${runId}`;
    const inspectMs: number[] = [];
    const t: Times[] = BINS.map(() => ({ check: [], status: [], statusEmpty: [], help: [] }));
    for (const st of states) {
      const pass = await ds01(st.bin, st.full, scope, ["check", "--json"]);
      expectOk("ds01 check (the real pass that fills the store)", pass, (j) => ((j as { actions: unknown[] }).actions.length === 0 ? null : `it planned actions: ${JSON.stringify(j).slice(0, 500)}`));
    }
    const statusCheck = (j: unknown) => ((j as { containers: unknown[] }).containers.length === n ? null : "not the expected number of containers");
    for (let r = 0; r <= reps; r++) {
      const inspect = await timed("docker", ["inspect", ...ids]);
      expectOk("docker inspect", inspect, (j) => (Array.isArray(j) && j.length === n ? null : "not the expected number of containers"));
      if (r > 0) inspectMs.push(inspect.ms); // r = 0 warms up page cache and Docker's own caches
      for (const [i, st] of states.entries()) {
        const check = await ds01(st.bin, st.full, scope, ["check", "--dry-run", "--json"]);
        expectOk("ds01 check", check, (j) => {
          const report = j as { docker_error: string | null; gpu_error: string | null };
          return report.docker_error ?? report.gpu_error;
        });
        const status = await ds01(st.bin, st.full, scope, ["status", "--json"]);
        expectOk("ds01 status", status, statusCheck);
        const statusEmpty = await ds01(st.bin, st.empty, scope, ["status", "--json"]);
        expectOk("ds01 status (empty store)", statusEmpty, statusCheck);
        const h = await ds01(st.bin, st.full, scope, ["--help"]);
        expectOk("ds01 --help", h, (text) => (String(text).includes("Usage: ds01") ? null : "no usage text"));
        const bare = await timed(process.execPath, ["-e", "0"]);
        if (r === 0) continue;
        bareNode.push(bare.ms);
        t[i]!.check.push(check.ms);
        t[i]!.status.push(status.ms);
        t[i]!.statusEmpty.push(statusEmpty.ms);
        help[i]!.push(h.ms);
      }
    }
    const base = median(inspectMs);
    const ratio = (xs: number[]) => `${(median(xs) / base).toFixed(2)}×`;
    console.log(`N=${n}`);
    console.log(`  docker inspect (all N)                     ${stats(inspectMs)}`);
    for (const [i, [label]] of BINS.entries()) {
      console.log(`  [${label}] check --dry-run --json`.padEnd(45) + `${stats(t[i]!.check)}   ${ratio(t[i]!.check)}`);
      console.log(`  [${label}] status --json`.padEnd(45) + `${stats(t[i]!.status)}   ${ratio(t[i]!.status)}`);
      console.log(`  [${label}]   the same, no stored samples`.padEnd(45) + `${stats(t[i]!.statusEmpty)}   ${ratio(t[i]!.statusEmpty)}`);
    }
  }
  for (const [i, [label]] of BINS.entries()) console.log(`[${label}] --help`.padEnd(45) + `${stats(help[i]!)}   ${(median(help[i]!) - median(bareNode)).toFixed(0)} ms above the floor`);
  console.log(`node -e 0 (the floor)`.padEnd(45) + stats(bareNode));
  console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  await rm(work, { recursive: true, force: true });
  await rm(dirname(gpus.path), { recursive: true, force: true });
}

runWithCleanup(runId, main, "bench containers removed");

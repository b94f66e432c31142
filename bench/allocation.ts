// Allocation benchmark: 100 concurrent allocation requests, each from its own OS process.
//
//   node --import ./test/store/fixtures/register-ts.mjs bench/allocation.ts [rounds=5] [warm-up=200] [lock|broker|echo|ratio]
//
// ratio: echo and broker in the same run, their rounds taken in turn (so both see the same machine,
// whatever else it is doing at the time); prints the broker's p99 against the echo floor's and
// their ratio (target ≤ 1.5×: the broker may add at most half again of what asking costs at all).
// lock (default): every process decides itself under the allocation lock (no daemon running).
// broker: every process sends its request to the allocation broker (test/allocation/broker-host.ts,
// the daemon's AllocationBroker in a process of its own), as `ds01 create` does while the daemon runs.
// echo: the same client code against a server that answers at once, deciding nothing: the floor,
// i.e. what it costs 100 processes on this machine just to ask another process something.
//
// 100 worker processes (test/allocation/alloc-worker.ts, transpiled once) are started and opened on
// a fresh state directory; then all 100 are sent one request at the same moment. Each measures its
// own `allocate()` call: the allocation lock (SQLite BEGIN IMMEDIATE on <stateDir>/allocation.sqlite),
// reading the reservations, the quota and choice, and the insert + commit. Excluded: container
// creation, process start-up (and, with warm-up > 0, V8's first-call compilation: each worker
// first makes that many uncontended allocations on a private database; the broker and the echo
// server first serve 10 untimed rounds), and the observation (GPU inventory and Docker listing are
// handed to the workers; the bench times one real Docker listing separately for reference). After
// each round every granted slot is checked against every other: the "double allocations" figure
// counts slots handed out more than once (must be 0).
//
// Host: 64 slots (8 full GPUs, 8 GPUs in MIG mode with 7 × 1g.10gb each), 20 users with a
// 2.0 GPU-equivalent quota, random requests (1–2 slots, a third of them for a MIG profile).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { slotTable } from "../src/allocation/slots.js";
import { DockerRuntime } from "../src/docker/docker-runtime.js";
import { makeCpuGroup, type CpuGroup } from "../test/helpers/cpu-group.js";
import { gpu, limits, migGpu } from "../test/helpers/fleet.js";
import type { WorkerAnswer } from "../test/allocation/alloc-worker.js";
import { startBrokerHost, startWorkerPool, type BrokerHost, type WorkerPool } from "../test/allocation/worker-pool.js";

const N = Number(process.env.DS01_BENCH_N ?? 100);
const ROUNDS = Number(process.argv[2] ?? 5);
/** Uncontended allocations each worker makes first, so the timed ones run JIT-compiled code as a long-lived allocator would; 0 = cold. */
const WARM = Number(process.argv[3] ?? 200);
/** Broker and workers in CPU groups of their own, as systemd runs them (off: DS01_BENCH_ONE_GROUP=1). */
const SEPARATE_GROUPS = process.env.DS01_BENCH_ONE_GROUP !== "1";
/** Untimed rounds through the broker (and the echo server) before the timed ones. */
const SERVER_WARM_ROUNDS = 10;
type Via = "lock" | "broker" | "echo";
const MODE = process.argv[4] === "broker" || process.argv[4] === "echo" || process.argv[4] === "ratio" ? process.argv[4] : "lock";
const GPUS = [
  ...Array.from({ length: 8 }, (_, i) => gpu(i)),
  ...Array.from({ length: 8 }, (_, i) => migGpu(8 + i, Array.from({ length: 7 }, () => "1g.10gb"))),
];
const USERS = Array.from({ length: 20 }, (_, i) => `user${i}`);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const sortedCopy = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);

/**
 * The broker's group and the workers' group, as on a server the daemon runs in its unit's CPU
 * group and users' commands in theirs (deploy/systemd/ds01.service sets CPUWeight= so that systemd
 * gives it one). Falls back to one group (printed) where they cannot be made.
 */
function cpuGroups(): { daemon: CpuGroup; users: CpuGroup } | null {
  const daemon = makeCpuGroup(`ds01-bench-daemon-${process.pid}`);
  const users = makeCpuGroup(`ds01-bench-users-${process.pid}`);
  if ("unavailable" in daemon || "unavailable" in users) {
    console.log(`no CPU groups: ${"unavailable" in daemon ? daemon.unavailable : (users as { unavailable: string }).unavailable}`);
    if (!("unavailable" in daemon)) daemon.remove();
    if (!("unavailable" in users)) users.remove();
    return null;
  }
  return { daemon, users };
}

/** What the timed rounds of one way of deciding came to. */
interface Tally {
  latencies: number[];
  granted: number;
  refused: number;
  errors: number;
  doubles: number;
  /** Broker side: request read → answer written, in the broker process. */
  brokerSide: number[];
  /** The broker (or echo) process's CPU per round. */
  serverCpuMs: number[];
}

const tally = (): Tally => ({ latencies: [], granted: 0, refused: 0, errors: 0, doubles: 0, brokerSide: [], serverCpuMs: [] });

interface Rig {
  pool: WorkerPool;
  broker: BrokerHost | null;
  dir: string;
}

/** One round: a fresh state directory, all N requests fired at once, decided `via`. */
async function runRound(rig: Rig, via: Via, round: string, seed: number): Promise<WorkerAnswer[]> {
  const limitsByUser = Object.fromEntries(USERS.map((u) => [u, limits({ max_gpu_equivalents: 2, max_gpu_slots_per_container: 2 })]));
  const stateDir = join(rig.dir, `${via}-${round}`);
  const socket = join(stateDir, "allocation.sock");
  await rig.broker?.setup({ stateDir, socket, gpus: GPUS, containers: [], limitsByUser, echo: via === "echo" });
  await rig.pool.setup({ stateDir, gpus: GPUS, containers: [], limitsByUser, ...(via === "lock" ? {} : { brokerSocket: socket }) });
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const requests = Array.from({ length: N }, (_, id) => {
    const mig = rnd() < 0.33;
    return {
      id,
      request: { user: USERS[id % USERS.length]!, container: `c${id}`, count: mig ? 1 : 1 + Math.floor(rnd() * 2), profile: mig ? "1g.10gb" : null, preferFull: !mig && rnd() < 0.5 },
      confirm: false,
    };
  });
  return rig.pool.fire(requests);
}

/** Adds a timed round to `t` and prints its line; checks no slot went out twice. */
async function record(rig: Rig, via: Via, round: number, answers: WorkerAnswer[], t: Tally): Promise<number> {
  const counts = via === "lock" ? null : await rig.broker!.counts();
  if (counts) t.serverCpuMs.push(counts.cpuMs);
  if (via === "broker") t.brokerSide.push(...(counts!.answerMs ?? []));
  const seen = new Map<string, number>();
  for (const a of answers) {
    t.latencies.push(a.latencyMs);
    if (a.ok) t.granted++;
    else if (a.code === "error") t.errors++;
    else t.refused++;
    for (const u of a.uuids) seen.set(u, (seen.get(u) ?? 0) + 1);
  }
  const d = [...seen.values()].filter((n) => n > 1).length;
  t.doubles += d;
  const sorted = sortedCopy(answers.map((a) => a.latencyMs));
  const p99 = quantile(sorted, 0.99);
  const cpu = counts ? `, ${via} process CPU ${counts.cpuMs.toFixed(0)} ms` : "";
  console.log(`round ${round} (${via}): granted ${answers.filter((a) => a.ok).length}, p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, double allocations ${d}${cpu}`);
  return p99;
}

function summary(via: Via, t: Tally): number {
  const sorted = sortedCopy(t.latencies);
  console.log(`${via}: ${sorted.length} requests (${t.granted} granted, ${t.refused} refused by quota or capacity, ${t.errors} errors), double allocations: ${t.doubles}`);
  console.log(`  allocate() latency under ${N}-way contention: p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p99 ${quantile(sorted, 0.99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
  if (t.serverCpuMs.length > 0) console.log(`  ${via} process CPU per round (${N} requests): median ${quantile(sortedCopy(t.serverCpuMs), 0.5).toFixed(0)} ms`);
  if (t.brokerSide.length > 0) {
    const b = sortedCopy(t.brokerSide);
    console.log(`  broker side (request read → answer written, in the broker): p50 ${quantile(b, 0.5).toFixed(2)} ms, p99 ${quantile(b, 0.99).toFixed(2)} ms`);
  }
  return quantile(sorted, 0.99);
}

/** Runs every way in `vias` once per round, in turn (order alternating), on one pool of workers. */
async function main(vias: Via[]): Promise<Map<Via, { tally: Tally; roundP99: number[] }>> {
  const decidedBy = (v: Via) => (v === "broker" ? "the allocation broker" : v === "echo" ? "nobody (echo server: the round trip alone)" : "each process under the lock");
  console.log(`slots: ${slotTable(GPUS).slots.length}, users: ${USERS.length}, concurrent requests: ${N} (one process each), rounds: ${ROUNDS}, decided by: ${vias.map(decidedBy).join("; then ")}`);
  const t0 = performance.now();
  const groups = SEPARATE_GROUPS ? cpuGroups() : null;
  console.log(groups ? `CPU groups: the broker (and echo server) in ${groups.daemon.path}, the workers in ${groups.users.path}, as systemd places a service and users' sessions` : "CPU groups: none (the broker competes with the workers as one process among them)");
  const rig: Rig = { pool: startWorkerPool(N, groups?.users), broker: vias.some((v) => v !== "lock") ? startBrokerHost(groups?.daemon) : null, dir: mkdtempSync(join(tmpdir(), "ds01-bench-alloc-")) };
  const results = new Map(vias.map((v) => [v, { tally: tally(), roundP99: [] as number[] }]));
  try {
    await rig.pool.setup({ stateDir: join(rig.dir, "warm-up"), gpus: [], containers: [], limitsByUser: {} });
    console.log(`started ${N} worker processes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (WARM > 0) {
      const tw = performance.now();
      await rig.pool.warmUp({ dir: join(rig.dir, "warm"), n: WARM, gpus: GPUS });
      console.log(`warmed up (${WARM} uncontended allocations per worker, one worker at a time) in ${((performance.now() - tw) / 1000).toFixed(1)} s`);
    }
    // Untimed rounds first, so the broker runs JIT-compiled code as a long-running daemon does.
    for (const v of vias.filter((x) => x !== "lock")) for (let w = 0; w < SERVER_WARM_ROUNDS; w++) await runRound(rig, v, `warm-${w}`, 1000 + w);
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? vias : [...vias].reverse();
      for (const v of order) {
        const answers = await runRound(rig, v, String(round), round);
        const r = results.get(v)!;
        r.roundP99.push(await record(rig, v, round, answers, r.tally));
      }
    }
  } finally {
    await rig.broker?.close();
    await rig.pool.close();
    rmSync(rig.dir, { recursive: true, force: true });
    groups?.daemon.remove();
    groups?.users.remove();
  }
  console.log("");
  for (const [v, r] of results) summary(v, r.tally);
  try {
    const rt = new DockerRuntime();
    const t = performance.now();
    const list = await rt.list();
    console.log(`for reference, one Docker listing (list + inspect, ${list.length} containers on this engine): ${(performance.now() - t).toFixed(0)} ms`);
  } catch (e) {
    console.log(`Docker listing not measured: ${String(e)}`);
  }
  return results;
}

if (MODE === "ratio") {
  const results = await main(["echo", "broker"]);
  const p99 = (v: Via) => quantile(sortedCopy(results.get(v)!.tally.latencies), 0.99);
  const perRound = results.get("broker")!.roundP99.map((b, i) => b / results.get("echo")!.roundP99[i]!);
  console.log(`\nbroker p99 ${p99("broker").toFixed(1)} ms against the echo floor's ${p99("echo").toFixed(1)} ms (rounds interleaved): ${(p99("broker") / p99("echo")).toFixed(2)}× (target ≤ 1.5×); per round: ${perRound.map((r) => r.toFixed(2)).join(", ")}, median ${quantile(sortedCopy(perRound), 0.5).toFixed(2)}×`);
} else {
  await main([MODE]);
}

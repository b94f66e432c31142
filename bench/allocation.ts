// Allocation benchmark: 100 concurrent allocation requests, each from its own OS process.
//
//   node --import ./test/store/fixtures/register-ts.mjs bench/allocation.ts [rounds=5] [warm-up=200] [lock|broker|echo|ratio]
//
// ratio: echo, then broker, in the same run; prints the broker's p99 against the echo floor's and
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
// first makes that many uncontended allocations on a private database), and the observation (GPU inventory and Docker listing are handed to
// the workers; the bench times one real Docker listing separately for reference). After each round
// every granted slot is checked against every other: the "double allocations" figure counts slots
// handed out more than once (must be 0).
//
// Host: 64 slots (8 full GPUs, 8 GPUs in MIG mode with 7 × 1g.10gb each), 20 users with a
// 2.0 GPU-equivalent quota, random requests (1–2 slots, a third of them for a MIG profile).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { slotTable } from "../src/allocation/slots.js";
import { DockerRuntime } from "../src/docker/docker-runtime.js";
import { gpu, limits, migGpu } from "../test/helpers/fleet.js";
import { startBrokerHost, startWorkerPool } from "../test/allocation/worker-pool.js";

const N = Number(process.env.DS01_BENCH_N ?? 100);
const ROUNDS = Number(process.argv[2] ?? 5);
/** Uncontended allocations each worker makes first, so the timed ones run JIT-compiled code as a long-lived allocator would; 0 = cold. */
const WARM = Number(process.argv[3] ?? 200);
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

/** One run decided `via`; the p99 of every timed request. */
async function main(VIA: Via): Promise<number> {
  console.log(`slots: ${slotTable(GPUS).slots.length}, users: ${USERS.length}, concurrent requests: ${N} (one process each), rounds: ${ROUNDS}, decided by: ${VIA === "broker" ? "the allocation broker" : VIA === "echo" ? "nobody (echo server: the round trip alone)" : "each process under the lock"}`);
  const t0 = performance.now();
  const pool = startWorkerPool(N);
  const broker = VIA === "lock" ? null : startBrokerHost();
  const dir = mkdtempSync(join(tmpdir(), "ds01-bench-alloc-"));
  const latencies: number[] = [];
  let doubles = 0;
  let granted = 0;
  let refused = 0;
  let errors = 0;
  /** Broker side: request read → answer written, in the broker process. */
  const brokerSide: number[] = [];
  try {
    await pool.setup({ stateDir: join(dir, "warm-up"), gpus: [], containers: [], limitsByUser: {} });
    console.log(`started ${N} worker processes in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (WARM > 0) {
      const tw = performance.now();
      await pool.warmUp({ dir: join(dir, "warm"), n: WARM, gpus: GPUS });
      console.log(`warmed up (${WARM} uncontended allocations per worker, one worker at a time) in ${((performance.now() - tw) / 1000).toFixed(1)} s`);
    }
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // With the broker, round 0 is untimed: it warms the broker process up as a running daemon would be.
    for (let round = broker ? 0 : 1; round <= ROUNDS; round++) {
      const limitsByUser = Object.fromEntries(USERS.map((u) => [u, limits({ max_gpu_equivalents: 2, max_gpu_slots_per_container: 2 })]));
      const stateDir = join(dir, `round-${round}`);
      const socket = join(stateDir, "allocation.sock");
      await broker?.setup({ stateDir, socket, gpus: GPUS, containers: [], limitsByUser, echo: VIA === "echo" });
      await pool.setup({ stateDir, gpus: GPUS, containers: [], limitsByUser, ...(broker ? { brokerSocket: socket } : {}) });
      const requests = Array.from({ length: N }, (_, id) => {
        const mig = rnd() < 0.33;
        return {
          id,
          request: { user: USERS[id % USERS.length]!, container: `c${id}`, count: mig ? 1 : 1 + Math.floor(rnd() * 2), profile: mig ? "1g.10gb" : null, preferFull: !mig && rnd() < 0.5 },
          confirm: false,
        };
      });
      const answers = await pool.fire(requests);
      if (round === 0) continue;
      if (VIA === "broker") brokerSide.push(...((await broker!.counts()).answerMs ?? []));
      const seen = new Map<string, number>();
      for (const a of answers) {
        latencies.push(a.latencyMs);
        if (a.ok) granted++;
        else if (a.code === "error") errors++;
        else refused++;
        for (const u of a.uuids) seen.set(u, (seen.get(u) ?? 0) + 1);
      }
      const d = [...seen.values()].filter((n) => n > 1).length;
      doubles += d;
      const sorted = answers.map((a) => a.latencyMs).sort((a, b) => a - b);
      console.log(`round ${round}: granted ${answers.filter((a) => a.ok).length}, p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p99 ${quantile(sorted, 0.99).toFixed(1)} ms, double allocations ${d}`);
    }
    if (broker) {
      const c = await broker.counts();
      console.log(`broker (last round): ${c.requests} requests in ${c.batches} lock rounds (largest ${c.largestBatch}), ${c.busyMs.toFixed(1)} ms deciding in all`);
    }
  } finally {
    await broker?.close();
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
  latencies.sort((a, b) => a - b);
  console.log("");
  console.log(`requests: ${latencies.length} (${granted} granted, ${refused} refused by quota or capacity, ${errors} errors)`);
  console.log(`allocate() latency under 100-way contention: p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
  console.log(`double allocations: ${doubles}`);
  if (brokerSide.length > 0) {
    brokerSide.sort((a, b) => a - b);
    console.log(`broker side (request read → answer written, in the broker): p50 ${quantile(brokerSide, 0.5).toFixed(2)} ms, p99 ${quantile(brokerSide, 0.99).toFixed(2)} ms over ${brokerSide.length} requests`);
  }
  try {
    const rt = new DockerRuntime();
    const t = performance.now();
    const list = await rt.list();
    console.log(`for reference, one Docker listing (list + inspect, ${list.length} containers on this engine): ${(performance.now() - t).toFixed(0)} ms`);
  } catch (e) {
    console.log(`Docker listing not measured: ${String(e)}`);
  }
  return quantile(latencies, 0.99);
}

if (MODE === "ratio") {
  const echo = await main("echo");
  console.log("");
  const broker = await main("broker");
  console.log(`\nbroker p99 ${broker.toFixed(1)} ms against the echo floor's ${echo.toFixed(1)} ms: ${(broker / echo).toFixed(2)}× (target ≤ 1.5×)`);
} else {
  await main(MODE);
}

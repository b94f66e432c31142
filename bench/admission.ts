// Admission benchmark: what allocating at the front door costs, and how fast the GPU queue hands
// a freed GPU to the request waiting for it. Measured in one run against dockerd directly.
//
// Run (as root, on the test machine, after `npm run build` — the gate children run bin/ds01.js):
//
//   npm run build && node --import ./test/store/fixtures/register-ts.mjs bench/admission.ts \
//       [--creates 100] [--rounds 10] [--handovers 20] [--warm 50]
//
// It prints:
//   1. GPU create latency (POST /containers/create with a GPU DeviceRequest), --creates sequential
//      creates on one keep-alive connection per round, each container removed again untimed, in
//      --rounds rounds that alternate the two sides: direct to
//      dockerd with a GPU the client picked itself (the floor), and as a non-admin test user
//      through the gate with `--gpus 1` (identity, checks, limits, the user's cgroup parent, the
//      allocator's reservation and its confirmation). p50 / p99 and their ratios (target: p99 ≤ 1.2×).
//      --warm untimed creates on each side come first (0: time a cold gate).
//   2. queue hand-over: a second gate with one GPU; a holder's container has it, a test user's GPU
//      create waits in the queue; the holder's container is removed (as root, directly) and the
//      time until the waiting client has its answer is measured, --handovers times. p50 / p99
//      (target: p99 < 1 s).
// The GPUs come from the nvidia-smi stand-in; containers carry ds01.test.run=<runId> and are removed.
// Each gate runs in a CPU group of its own, as systemd runs its unit (gate-cpu-group.ts).
// DS01_BENCH_DUMP_GATE_LOG=FILE writes the create-latency gate's output there when it is done (with
// DS01_GATE_NODE_ARGS=--trace-gc: each of its garbage collections and how long it paused).
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readQueueSnapshot } from "../src/gate/queue-snapshot.js";
import { newRunId } from "../test/helpers/containers.js";
import { TEST_IMAGE } from "../test/helpers/docker-env.js";
import { gpuUuid, writeFakeGpuState } from "../test/helpers/fake-gpus.js";
import { asUser, ensureTestUsers, removeRunContainers, startGate, UNTHROTTLED, type GateProcess } from "../test/gate/gate-harness.js";
import { gateInOwnCpuGroup } from "./gate-cpu-group.js";
import { percentile } from "./percentile.js";

const { values } = parseArgs({ options: { creates: { type: "string", default: "100" }, rounds: { type: "string", default: "10" }, handovers: { type: "string", default: "20" }, warm: { type: "string", default: "50" } } });
const CREATES = Math.max(10, Number(values.creates));
const ROUNDS = Math.max(2, Number(values.rounds));
const HANDOVERS = Math.max(3, Number(values.handovers));
const WARM = Math.max(0, Number(values.warm));
const ENGINE = "/var/run/docker.sock";
const USER = "ds01gt-alice";
const HOLDER = "ds01gt-bob";
const SCRIPT = join(import.meta.dirname, "../test/gate/fixtures/gpu-creates.mjs");
const runId = newRunId("bench-admission");

function sh(file: string, args: string[], timeoutMs = 600_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? 1 : 0, stdout, stderr });
    });
  });
}

const pct = percentile;
const f = (n: number, d = 2) => n.toFixed(d);
const unlimited = (u: string) => `${u}:\n  max_gpu_equivalents: null\n  max_gpu_slots_per_container: null\n  max_containers_per_user: null\n  aggregate:\n    gpu_limit: null\n`;

async function createLatency(): Promise<void> {
  // Many GPUs, so a GPU of a just-removed container (still counted for its 1 s listing slack) is never needed.
  const gpus = Array.from({ length: 128 }, (_, i) => gpuUuid(i, "be1cbe1c"));
  const fake = await writeFakeGpuState({ gpus: gpus.map((uuid, index) => ({ index, uuid, util: 0 })) });
  const gate = await startGate({ env: fake.env, userOverrides: unlimited(USER), gateKeys: UNTHROTTLED });
  const group = gateInOwnCpuGroup(gate.child.pid!);
  console.log(`gate runs in ${group.where}`);
  try {
    // Interleaved rounds (direct, gate, gate, direct, ...), so a machine that gets busier or
    // quieter during the run weighs on both sides alike.
    const rounds = Math.max(2, Math.min(ROUNDS, Math.floor(CREATES / 10)));
    const perRound = Math.ceil(CREATES / rounds);
    // Three sides: direct (the floor), root through the gate (an admin: passed through unchanged,
    // the gate's proxy cost alone), and the test user through the gate (admission and allocation).
    type Side = "direct" | "admin" | "gate";
    const orders: Side[][] = [["direct", "admin", "gate"], ["gate", "admin", "direct"]];
    const all: Record<Side, number[]> = { direct: [], admin: [], gate: [] };
    const roundRatios: number[] = [];
    /** `n` sequential creates on one side; the milliseconds each took. */
    const creates = async (side: Side, n: number, what: string): Promise<number[]> => {
      const out = side === "gate"
        ? await asUser(USER, `${process.execPath} ${SCRIPT} ${gate.socket} ${TEST_IMAGE} ${runId} ${n} -`, {}, 600_000)
        : await sh(process.execPath, [SCRIPT, side === "direct" ? ENGINE : gate.socket, TEST_IMAGE, runId, String(n), gpus.join(",")]);
      if (out.code !== 0) throw new Error(`${side} ${what}: ${out.stderr}`);
      return (JSON.parse(out.stdout) as { ms: number[] }).ms;
    };
    // Untimed creates first on each side, so the timed ones meet a gate whose code the JIT has
    // compiled, as a gate that has run for a while has (the first rounds were ~1.7x, later ones ~1x).
    if (WARM > 0) {
      for (const side of orders[0]!) await creates(side, WARM, "warm-up creates");
      console.log(`   (${WARM} untimed creates on each side first)`);
    }
    for (let r = 0; r < rounds; r++) {
      const got = {} as Record<Side, number[]>;
      for (const side of orders[r % 2]!) {
        got[side] = await creates(side, perRound, "creates");
        all[side].push(...got[side]);
      }
      roundRatios.push(pct(got.gate, 50) / pct(got.direct, 50));
    }
    const { direct: d, admin: a, gate: g } = all;
    const row = (xs: number[]) => `p50 ${f(pct(xs, 50))}  p90 ${f(pct(xs, 90))}  p99 ${f(pct(xs, 99))}`;
    const ratio = (xs: number[]) => `p50 ${f(pct(xs, 50) / pct(d, 50))}x  p90 ${f(pct(xs, 90) / pct(d, 90))}x  p99 ${f(pct(xs, 99) / pct(d, 99))}x`;
    console.log(`\n1. GPU create latency, ${d.length} sequential creates each, in ${rounds} interleaved rounds (ms)`);
    console.log(`   direct to dockerd (GPU picked by the client):      ${row(d)}`);
    console.log(`   root via the gate (passed through, GPU picked):    ${row(a)}`);
    console.log(`   non-admin via the gate (--gpus 1, allocated):      ${row(g)}`);
    console.log(`   ratio non-admin / direct: ${ratio(g)}  (target p99 <= 1.2x)`);
    console.log(`   ratio root / direct:      ${ratio(a)}  (the proxy alone)`);
    if (process.env.DS01_BENCH_DUMP_GATE_LOG) writeFileSync(process.env.DS01_BENCH_DUMP_GATE_LOG, gate.log());
    console.log(`   non-admin p50 ratio per round: ${roundRatios.map((x) => f(x)).join(" ")}; load now ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  } finally {
    await gate.stop();
    group.remove();
  }
}

async function untilWaiting(gate: GateProcess, n: number): Promise<void> {
  const end = Date.now() + 30_000;
  while (((await readQueueSnapshot(gate.stateDir))?.waiting.length ?? 0) < n) {
    if (Date.now() > end) throw new Error(`nobody joined the queue; gate log:\n${gate.log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function handover(): Promise<void> {
  const fake = await writeFakeGpuState({ gpus: [{ index: 0, uuid: gpuUuid(0, "4a4d4a4d"), util: 0 }] });
  const gate = await startGate({ env: fake.env, gpuWaitS: 60, userOverrides: unlimited(USER) + unlimited(HOLDER), gateKeys: UNTHROTTLED });
  const group = gateInOwnCpuGroup(gate.child.pid!);
  const ms: number[] = [];
  try {
    for (let i = 0; i < HANDOVERS; i++) {
      const held = await asUser(HOLDER, `${process.execPath} ${SCRIPT} ${gate.socket} ${TEST_IMAGE} ${runId} once -`, {}, 60_000);
      const holder = JSON.parse(held.stdout) as { status: number; id: string };
      if (holder.status !== 201) throw new Error(`holder create: ${held.stdout}`);
      const waiter = asUser(USER, `${process.execPath} ${SCRIPT} ${gate.socket} ${TEST_IMAGE} ${runId} once -`, {}, 120_000);
      await untilWaiting(gate, 1);
      const rm = await sh("docker", ["rm", "-f", holder.id]);
      if (rm.code !== 0) throw new Error(`docker rm: ${rm.stderr}`);
      const removedAt = Date.now();
      const got = JSON.parse((await waiter).stdout) as { status: number; id: string; at: number; body: string };
      if (got.status !== 201) throw new Error(`waiting create: ${got.status} ${got.body}`);
      ms.push(got.at - removedAt);
      await sh("docker", ["rm", "-f", got.id]);
      await new Promise((r) => setTimeout(r, 1100)); // the listing slack of the removed one's reservation
    }
    console.log(`\n2. GPU queue hand-over: holder's container removed -> the waiting create answered (${HANDOVERS} times, ms)`);
    console.log(`   p50 ${f(pct(ms, 50), 0)}  p99 ${f(pct(ms, 99), 0)}  max ${f(Math.max(...ms), 0)}  (target p99 < 1000)`);
  } finally {
    await gate.stop();
    group.remove();
  }
}

async function main(): Promise<void> {
  console.log(`admission bench: ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}, run ${runId}`);
  await ensureTestUsers();
  try {
    await createLatency();
    await handover();
  } finally {
    await removeRunContainers(runId);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

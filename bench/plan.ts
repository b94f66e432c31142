// Planning benchmark (target: planning 10,000 containers in under 100 ms). Pure: no Docker.
//
//   npm run bench:build && node node_modules/.cache/ds01-bench/bench/plan.js [--sizes 1000,10000] [--reps 20]
//
// A fleet of mostly running GPU containers (idle, busy, exempt, devcontainers, exited, created),
// 16 GPUs and 4 MIG GPUs, records from an earlier pass; times plan() only.
import { parseArgs } from "node:util";
import type { ContainerRecord } from "../src/model/record.js";
import { plan } from "../src/policy/plan.js";
import type { ContainerActivity } from "../src/policy/plan-types.js";
import { container, gpu, gpuUuid, HOUR, inventory, migGpu, migUuid, MIN, policy, policyView, snapshot, T0 } from "../test/helpers/fleet.js";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "1000,5000,10000" }, reps: { type: "string", default: "20" } } });
// Two mixes: "steady" — what a pass usually sees (1 container in 20 idle, runs younger than their
// limits, recent exits within their hold); "stress" — 3 in 4 idle, runs up to 48 h, exits up to
// 90 min old, so ~40 % of the fleet gets a warning, a stop or a removal in the same pass.
const MIXES = { steady: { idleEvery: 20, maxAgeH: 12, maxExitM: 10 }, stress: { idleEvery: 4 / 3, maxAgeH: 48, maxExitM: 90 } } as const;
const sizes = values.sizes.split(",").map(Number);
const reps = Number(values.reps);

function fleet(n: number, { idleEvery, maxAgeH, maxExitM }: (typeof MIXES)[keyof typeof MIXES]) {
  const gpus = [...Array.from({ length: 16 }, (_, i) => gpu(i, { utilizationPct: i % 3 === 0 ? 80 : 0 })), ...Array.from({ length: 4 }, (_, i) => migGpu(16 + i, 7))];
  const slots = [...gpus.filter((g) => !g.migEnabled).map((g) => g.uuid), ...gpus.flatMap((g) => g.migDevices.map((m) => m.uuid))];
  const users = Array.from({ length: 50 }, (_, i) => `user${i}`);
  const containers = Array.from({ length: n }, (_, i) => {
    const state = i % 10 === 0 ? "exited" : i % 17 === 0 ? "created" : "running";
    return container({
      owner: users[i % users.length],
      type: i % 9 === 0 ? "devcontainer" : i % 5 === 0 ? "compose" : "docker",
      state,
      gpus: [slots[i % slots.length]!],
      startedAt: state === "created" ? null : T0 - (i % maxAgeH) * HOUR,
      finishedAt: state === "exited" ? T0 - (i % maxExitM) * MIN : null,
    });
  });
  const activity = new Map(containers.map((c, i): [string, ContainerActivity] => [c.id, { cpuPct: i % idleEvery < 1 ? 0.5 : 50, netBytesPerS: 100 }]));
  const view = policyView({ user1: policy({ user: "user1", exemptions: [{ exempt_from: ["idle_timeout_h"], reason: "r", expires_on: null }] }) });
  return { containers, activity, gpus: inventory(gpus), view, slots };
}

const runs = Object.entries(MIXES).flatMap(([mix, shape]) => sizes.map((n) => ({ mix, shape, n })));
for (const { mix, shape, n } of runs) {
  const f = fleet(n, shape);
  const snap = snapshot({ containers: f.containers, activity: f.activity, gpus: f.gpus, releasedGpus: f.slots.slice(0, 8) });
  // Records from an earlier pass, so streaks, warnings and runtimes are in play.
  const first = plan({ snapshot: { ...snap, now: T0 - 40 * MIN }, policies: f.view, records: new Map() });
  const records = new Map<string, ContainerRecord>(first.records.map((r) => [r.containerId, r]));
  const times: number[] = [];
  let actions = 0;
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    const p = plan({ snapshot: snap, policies: f.view, records });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    actions = p.actions.length;
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)]!;
  console.log(`${mix.padEnd(6)} plan ${String(n).padStart(6)} containers: min ${times[0]!.toFixed(1)} ms, median ${med.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms (${actions} actions, ${reps} reps)`);
}
void migUuid;
void gpuUuid;

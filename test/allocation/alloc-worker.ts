// A child process that makes allocation requests through the real allocator and the real store
// (SQLite lock included), one per line of stdin, answering one JSON line each on stdout. The GPU
// inventory and the container listing come from the setup line, so many workers can contend for
// the lock without each running Docker and nvidia-smi. Used by concurrency.test.ts and the bench.
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { allocate, confirmReservation, AllocationRefusedError, type AllocatorDeps } from "../../src/allocation/allocator.js";
import { openReservationDb, type ReservationDb } from "../../src/allocation/reservation-store.js";
import { brokerClient } from "../../src/allocation/broker/client.js";
import type { QuotaLimits } from "../../src/allocation/quota.js";
import type { AllocationRequest } from "../../src/allocation/request.js";
import type { ObservedContainer } from "../../src/model/container.js";
import type { Gpu } from "../../src/model/gpu.js";
import { openStore, type Store } from "../../src/store/index.js";
import { systemClock } from "../../src/util/clock.js";

export interface WorkerSetup {
  type: "setup";
  stateDir: string;
  gpus: Gpu[];
  containers: ObservedContainer[];
  limitsByUser: Record<string, QuotaLimits>;
  audit?: boolean;
  /** Send requests to the allocation broker on this socket (the daemon's way) instead of deciding here. */
  brokerSocket?: string;
  /** With brokerSocket: only every n-th worker (by index) uses it; the others decide locally, against the same database. */
  brokerEvery?: number;
  /** Set by the pool: this worker's position. */
  index?: number;
}

export interface WorkerRequest {
  type: "request";
  id: number;
  request: AllocationRequest;
  /** After a grant, confirm the reservation as if a container (not in anyone's listing) was created. */
  confirm: boolean;
}

/** Runs `n` uncontended allocations on a private database first, so timed requests run warm (JIT-compiled) code. */
export interface WorkerWarmUp {
  type: "warm";
  dir: string;
  n: number;
  gpus: Gpu[];
}

export interface WorkerAnswer {
  id: number;
  ok: boolean;
  uuids: string[];
  gpuEquivalent: number;
  code: string | null;
  message: string | null;
  latencyMs: number;
}

let store: Store | null = null;
let rdb: ReservationDb | null = null;
let deps: AllocatorDeps | null = null;

function handle(line: string): string {
  const msg = JSON.parse(line) as WorkerSetup | WorkerRequest | WorkerWarmUp;
  if (msg.type === "setup") {
    store?.close();
    rdb?.close();
    rdb = openReservationDb(msg.stateDir);
    store = msg.audit ? openStore(msg.stateDir) : null;
    const s = store;
    const viaBroker = msg.brokerSocket !== undefined && (msg.index ?? 0) % (msg.brokerEvery ?? 1) === 0;
    deps = {
      reservations: rdb.store,
      clock: systemClock,
      listContainers: async () => msg.containers,
      inventory: async () => ({ gpus: msg.gpus, error: null }),
      limitsFor: (u) => msg.limitsByUser[u]!,
      appendEvent: s ? (e) => s.append(e) : undefined,
      ...(viaBroker ? { broker: brokerClient(msg.brokerSocket!) } : {}),
    };
    return JSON.stringify({ ready: true, viaBroker });
  }
  throw new Error("requests are async");
}

async function request(msg: WorkerRequest): Promise<WorkerAnswer> {
  const t0 = performance.now();
  try {
    const a = await allocate(deps!, msg.request);
    const latencyMs = performance.now() - t0;
    if (msg.confirm) confirmReservation(deps!, a.requestId, `fake-${process.pid}-${msg.id}`);
    return { id: msg.id, ok: true, uuids: a.uuids, gpuEquivalent: a.gpuEquivalent, code: null, message: null, latencyMs };
  } catch (e) {
    const latencyMs = performance.now() - t0;
    if (e instanceof AllocationRefusedError) {
      return { id: msg.id, ok: false, uuids: [], gpuEquivalent: 0, code: e.rejection.code, message: e.message, latencyMs };
    }
    return { id: msg.id, ok: false, uuids: [], gpuEquivalent: 0, code: "error", message: String(e), latencyMs };
  }
}

async function warmUp(msg: WorkerWarmUp): Promise<string> {
  const own = openReservationDb(`${msg.dir}/w-${process.pid}`);
  try {
    const d: AllocatorDeps = {
      reservations: own.store,
      clock: systemClock,
      listContainers: async () => [],
      inventory: async () => ({ gpus: msg.gpus, error: null }),
      limitsFor: () => ({ max_gpu_equivalents: null, gpu_limit: null, max_gpu_slots_per_container: null, allow_full_gpu: true, max_containers_per_user: null }),
    };
    for (let i = 0; i < msg.n; i++) {
      const a = await allocate(d, { user: `w${i % 5}`, container: `w${i}`, count: 1, profile: null, preferFull: i % 2 === 0 }).catch(() => null);
      if (a && i % 3 === 0) confirmReservation(d, a.requestId, `w-${i}`);
      own.store.locked(() => own.store.deleteExpired(Number.MAX_SAFE_INTEGER));
    }
  } finally {
    own.close();
  }
  return JSON.stringify({ ready: true });
}

const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const msg = JSON.parse(line) as WorkerSetup | WorkerRequest | WorkerWarmUp;
  if (msg.type === "request") void request(msg).then((a) => process.stdout.write(JSON.stringify(a) + "\n"));
  else if (msg.type === "warm") void warmUp(msg).then((a) => process.stdout.write(a + "\n"));
  else {
    let answer: string;
    try {
      answer = handle(line);
    } catch (e) {
      answer = JSON.stringify({ ready: false, error: String(e) });
    }
    process.stdout.write(answer + "\n");
  }
});
rl.on("close", () => {
  store?.close();
  rdb?.close();
});

// A child process that runs the real AllocationBroker (as the daemon does) on a Unix socket, with
// a fixed view of slots and containers from its setup line, so allocation workers can send it
// their requests. One JSON line in, one JSON line out: setup (re)starts the broker on a fresh
// database; counts reports how many batches it decided and the CPU it used since the setup. With
// `echo`, it runs a server that answers every request at once with a canned refusal instead: the
// cost of the round trip alone (the bench's floor: what 100 processes pay on this machine to ask
// anything of another process).
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { createServer, type Server } from "node:net";
import { createInterface } from "node:readline";
import type { QuotaLimits } from "../../src/allocation/quota.js";
import { AllocationBroker } from "../../src/allocation/broker/server.js";
import { openReservationDb, type ReservationDb } from "../../src/allocation/reservation-store.js";
import { slotTable } from "../../src/allocation/slots.js";
import type { ObservedContainer } from "../../src/model/container.js";
import type { Gpu } from "../../src/model/gpu.js";
import { openStore, type Store } from "../../src/store/index.js";
import { systemClock } from "../../src/util/clock.js";

export interface BrokerHostSetup {
  type: "setup";
  stateDir: string;
  socket: string;
  gpus: Gpu[];
  containers: ObservedContainer[];
  limitsByUser: Record<string, QuotaLimits>;
  audit?: boolean;
  echo?: boolean;
}

let broker: AllocationBroker | null = null;
let echo: Server | null = null;
const echoCounts = { batches: 0, requests: 0, largestBatch: 1, busyMs: 0 };
/** This process's CPU use when the last setup finished: counts report the CPU spent since. */
let cpuAfterSetup = process.cpuUsage();
function cpuMsSinceSetup(): number {
  const c = process.cpuUsage(cpuAfterSetup);
  return (c.user + c.system) / 1000;
}

function startEcho(path: string): Promise<Server> {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      for (const line of chunk.split("\n").filter((l) => l.trim())) {
        const { id } = JSON.parse(line) as { id: number };
        echoCounts.requests++;
        echoCounts.batches++;
        socket.write(JSON.stringify({ id, ok: false, rejection: { code: "no_free_slot", message: "echo" } }) + "\n");
      }
    });
    socket.on("error", () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve(server));
  });
}
let rdb: ReservationDb | null = null;
let store: Store | null = null;

const quiet = { debug: () => undefined, info: () => undefined, warn: (f: object, m: string) => console.error(m, f), error: (f: object, m: string) => console.error(m, f) };

async function setup(msg: BrokerHostSetup): Promise<void> {
  await broker?.stop();
  broker = null;
  await new Promise<void>((resolve) => (echo ? echo.close(() => resolve()) : resolve()));
  echo = null;
  if (msg.echo) {
    Object.assign(echoCounts, { batches: 0, requests: 0 });
    echo = await startEcho(msg.socket);
    return;
  }
  rdb?.close();
  store?.close();
  rdb = openReservationDb(msg.stateDir);
  store = msg.audit ? openStore(msg.stateDir) : null;
  const reservations = rdb.store;
  const s = store;
  const slots = slotTable(msg.gpus).slots;
  broker = new AllocationBroker(msg.socket, {
    allocator: () => ({
      reservations,
      clock: systemClock,
      limitsFor: (u) => msg.limitsByUser[u]!,
      listContainers: () => Promise.reject(new Error("not used by the broker")),
      inventory: () => Promise.reject(new Error("not used by the broker")),
    }),
    audit: (events) => s?.commit([], events),
    observe: () => {
      const now = systemClock.now();
      return { slots, containers: msg.containers, listedAt: now, currentAt: now, source: "daemon" };
    },
    log: quiet,
  });
  await broker.start();
}

const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const msg = JSON.parse(line) as BrokerHostSetup | { type: "counts" };
  const counts = () => ({ counts: echo ? { ...echoCounts, cpuMs: cpuMsSinceSetup() } : broker ? { ...broker.counts, answerMs: broker.answerMs, cpuMs: cpuMsSinceSetup() } : null });
  const ready = () => {
    cpuAfterSetup = process.cpuUsage();
    return { ready: true };
  };
  const answer = msg.type === "counts" ? Promise.resolve(counts()) : setup(msg).then(ready);
  void answer.then(
    (a) => process.stdout.write(JSON.stringify(a) + "\n"),
    (e: unknown) => process.stdout.write(JSON.stringify({ ready: false, error: String(e) }) + "\n"),
  );
});
rl.on("close", () => {
  echo?.close();
  void broker?.stop().finally(() => {
    rdb?.close();
    store?.close();
  });
});

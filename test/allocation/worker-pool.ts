// N allocation worker processes (alloc-worker.ts, transpiled), driven over stdin/stdout.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { transpileWorkerTree } from "./transpile.js";
import type { WorkerAnswer, WorkerRequest, WorkerSetup, WorkerWarmUp } from "./alloc-worker.js";
import type { BrokerHostSetup } from "./broker-host.js";
import type { CpuGroup } from "../helpers/cpu-group.js";

/** What the broker host did since its last setup; cpuMs is its whole process's CPU time. */
export interface BrokerCounts {
  batches: number;
  requests: number;
  largestBatch: number;
  busyMs: number;
  cpuMs: number;
  answerMs?: number[];
}

/** The allocation broker in a child process of its own (test/allocation/broker-host.ts). */
export interface BrokerHost {
  setup(s: Omit<BrokerHostSetup, "type">): Promise<void>;
  counts(): Promise<BrokerCounts>;
  close(): Promise<void>;
}

export interface WorkerPool {
  size: number;
  /** Sends setup to every worker and waits for all of them. */
  setup(s: Omit<WorkerSetup, "type">): Promise<void>;
  /** Every worker runs uncontended allocations on a private database (one worker at a time). */
  warmUp(w: Omit<WorkerWarmUp, "type">): Promise<void>;
  /** Sends request i to worker i (all written before any answer is awaited), returns the answers in order. */
  fire(requests: Omit<WorkerRequest, "type">[]): Promise<WorkerAnswer[]>;
  close(): Promise<void>;
}

interface Worker {
  child: ChildProcess;
  next(): Promise<string>;
}

function startWorker(script: string, group?: CpuGroup): Worker {
  const child = spawn(process.execPath, [script], { stdio: ["pipe", "pipe", "inherit"] });
  if (group && child.pid !== undefined) group.join(child.pid);
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on("line", (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else lines.push(l);
  });
  return {
    child,
    next: () =>
      new Promise<string>((resolve, reject) => {
        const l = lines.shift();
        if (l !== undefined) return resolve(l);
        const t = setTimeout(() => reject(new Error("allocation worker did not answer within 180 s")), 180_000);
        waiting.push((x) => {
          clearTimeout(t);
          resolve(x);
        });
      }),
  };
}

/** Closes its stdin (it exits when done), SIGKILL after 5 s. */
function stopWorker(w: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
    if (w.child.exitCode !== null) return resolve();
    const t = setTimeout(() => w.child.kill("SIGKILL"), 5000);
    w.child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    w.child.stdin!.end();
  });
}

/** `group`: the CPU group every worker runs in (the bench's "users"); default the caller's. */
export function startWorkerPool(size: number, group?: CpuGroup): WorkerPool {
  const tree = transpileWorkerTree();
  const script = join(tree.root, "test", "allocation", "alloc-worker.js");
  const workers = Array.from({ length: size }, () => startWorker(script, group));
  return {
    size,
    async setup(s) {
      workers.forEach((w, index) => w.child.stdin!.write(JSON.stringify({ type: "setup", ...s, index }) + "\n"));
      const answers = (await Promise.all(workers.map((w) => w.next()))).map((l) => JSON.parse(l) as { ready: boolean; error?: string });
      const failed = answers.find((a) => !a.ready);
      if (failed) throw new Error(`an allocation worker failed its setup: ${failed.error}`);
    },
    async warmUp(msg) {
      for (const w of workers) {
        w.child.stdin!.write(JSON.stringify({ type: "warm", ...msg }) + "\n");
        await w.next();
      }
    },
    async fire(requests) {
      if (requests.length > size) throw new Error(`only ${size} workers`);
      const pending = requests.map((r, i) => {
        const p = workers[i]!.next();
        workers[i]!.child.stdin!.write(JSON.stringify({ type: "request", ...r }) + "\n");
        return p;
      });
      return (await Promise.all(pending)).map((l) => JSON.parse(l) as WorkerAnswer);
    },
    async close() {
      await Promise.all(workers.map(stopWorker));
      tree.cleanup();
    },
  };
}

/** `group`: the CPU group the broker runs in (the bench's "daemon"); default the caller's. */
export function startBrokerHost(group?: CpuGroup): BrokerHost {
  const tree = transpileWorkerTree();
  const w = startWorker(join(tree.root, "test", "allocation", "broker-host.js"), group);
  const ask = async <T>(msg: object): Promise<T> => {
    const answer = w.next();
    w.child.stdin!.write(JSON.stringify(msg) + "\n");
    return JSON.parse(await answer) as T;
  };
  return {
    async setup(s) {
      const a = await ask<{ ready: boolean; error?: string }>({ type: "setup", ...s });
      if (!a.ready) throw new Error(`the broker host failed its setup: ${a.error}`);
    },
    async counts() {
      return (await ask<{ counts: BrokerCounts }>({ type: "counts" })).counts;
    },
    async close() {
      await stopWorker(w);
      tree.cleanup();
    },
  };
}

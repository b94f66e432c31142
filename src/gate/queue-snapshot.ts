// The GPU queue as other processes see it: the gate rewrites `<state dir>/gpu-queue.json` after
// every change (who waits, in order, and a histogram of served waits); `ds01 gpu status` shows it,
// the daemon exports it as metrics and counts a non-empty queue as high demand. The file names its
// writer's pid: a file left by a gate that is no longer running says nothing about now.
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { array, number, object, string, type Infer } from "../util/shape.js";
import { readText } from "../config/read-text.js";
import type { WaitingView } from "./gpu-queue.js";

export const QUEUE_SNAPSHOT_FILE = "gpu-queue.json";

/** Upper bounds (seconds) of the wait-time histogram's buckets. */
export const WAIT_BUCKETS_S = [1, 5, 15, 30, 60, 120, 180, 300, 600] as const;

const waitingSchema = object({
  user: string(),
  container: string(),
  count: number(),
  position: number(),
  since: number(),
});

const snapshotSchema = object({
  pid: number({ int: true }),
  updatedAt: number(),
  waiting: array(waitingSchema),
  /** Requests that waited and were then served, timed out or left: how long they waited. */
  waits: object({
    count: number(),
    sumS: number(),
    /** Cumulative counts, one per WAIT_BUCKETS_S bound. */
    buckets: array(number()),
  }),
});

export type QueueSnapshot = Infer<typeof snapshotSchema>;

export function emptySnapshot(pid: number, at: number): QueueSnapshot {
  return { pid, updatedAt: at, waiting: [], waits: { count: 0, sumS: 0, buckets: WAIT_BUCKETS_S.map(() => 0) } };
}

/** The gate's side: keeps the figures and rewrites the file (small, synchronous, never torn). */
export class QueueSnapshotWriter {
  private readonly snap: QueueSnapshot;

  constructor(
    private readonly stateDir: string,
    private readonly clock: { now(): number },
    private readonly onError: (e: unknown) => void,
  ) {
    this.snap = emptySnapshot(process.pid, clock.now());
    this.write();
  }

  waiting(w: WaitingView[]): void {
    this.snap.waiting = w;
    this.write();
  }

  waited(ms: number): void {
    const s = ms / 1000;
    this.snap.waits.count++;
    this.snap.waits.sumS += s;
    WAIT_BUCKETS_S.forEach((le, i) => {
      if (s <= le) this.snap.waits.buckets[i]!++;
    });
    this.write();
  }

  private write(): void {
    this.snap.updatedAt = this.clock.now();
    const file = join(this.stateDir, QUEUE_SNAPSHOT_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.snap), { mode: 0o644 });
      renameSync(tmp, file);
    } catch (e) {
      this.onError(e);
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The running gate's queue; null when no gate runs (or never wrote one), or the file is unusable. */
export async function readQueueSnapshot(stateDir: string): Promise<QueueSnapshot | null> {
  const r = await readText(join(stateDir, QUEUE_SNAPSHOT_FILE), 4 * 1024 * 1024);
  if (r.kind !== "text") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.text);
  } catch {
    return null;
  }
  const snap = snapshotSchema.safeParse(parsed);
  if (!snap.success || !alive(snap.data.pid)) return null;
  return snap.data;
}

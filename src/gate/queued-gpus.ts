// The gate's allocator with the fair queue in front: a GPU create that fits its owner's quota but
// finds every suitable slot taken waits its turn (up to `gate.gpu_wait_s`) instead of failing.
// Every wait is audited (joined, served, timed out, left) and shown in the queue snapshot.
import { EVENT } from "../constants/event-types.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { GateGpus, GpuReserve } from "./decide.js";
import type { GpuQueue } from "./gpu-queue.js";
import type { QueueSnapshotWriter } from "./queue-snapshot.js";

export interface QueueWiring {
  queue: GpuQueue<GpuReserve>;
  waitS(): number;
  snapshot?: QueueSnapshotWriter;
  audit(type: AuditEvent["type"], user: string, container: string, details: Record<string, unknown>): void;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export function queuedGpus(inner: GateGpus, w: QueueWiring): GateGpus {
  return {
    ...inner,
    async reserve(user, container, want, signal) {
      const count = want.count;
      let last: GpuReserve | null = null;
      const attempt = async () => {
        const r = await inner.reserve(user, container, want);
        last = r;
        if (!r.ok && r.busy) return { kind: "wait" as const, reason: r.reason };
        return { kind: "done" as const, value: r };
      };
      const waitS = w.waitS();
      const ask = { user, container, count };
      const o = await w.queue.admit(ask, attempt, {
        waitMs: waitS * 1000,
        ...(signal ? { signal } : {}),
        onJoin: (position) => w.audit(EVENT.gpuQueueWait, user, container, { count, position, wait_s: waitS }),
      });
      if (o.kind !== "done" || o.queued) w.snapshot?.waited(o.waitedMs);
      if (o.kind === "done") {
        if (o.queued) w.audit(EVENT.gpuQueueServed, user, container, { count, waited_s: seconds(o.waitedMs), trigger: o.trigger, ok: o.value.ok });
        return o.value;
      }
      if (o.kind === "left") {
        w.audit(EVENT.gpuQueueLeft, user, container, { count, waited_s: seconds(o.waitedMs) });
        return { ok: false, reason: "the client went away while waiting for a GPU" };
      }
      if (!o.queued) {
        // Waiting is off (gpu_wait_s: 0): the allocator's answer as it is.
        return last ?? { ok: false, reason: o.reason };
      }
      const held = await inner.holders?.(user, container, want).catch(() => "");
      w.audit(EVENT.gpuQueueTimeout, user, container, { count, waited_s: seconds(o.waitedMs), reason: o.reason });
      return { ok: false, reason: `${o.reason || "every GPU slot you could use is taken"}, still after waiting ${Math.round(o.waitedMs / 1000)} s in the GPU queue (gate.gpu_wait_s: ${waitS})${held ? `; ${held}` : ""}` };
    },
    async release(requestId) {
      try {
        await inner.release(requestId);
      } finally {
        w.queue.kick("a reservation was released");
      }
    },
  };
}

// The daemon's allocation broker. `ds01 create` and `ds01 gpu allocate` send their reservation
// request here when the daemon runs: requests that arrive together are decided in order under ONE
// allocation lock and ONE commit (reserveBatch), against the daemon's own view of Docker (kept
// current by Docker events) and its GPU inventory. So 100 simultaneous requests cost one lock
// round and no Docker listing, instead of 100 processes polling SQLite's lock in turn.
//
// The socket is created 0600: only root (the daemon's user) may connect, so the `user` field of a
// request is trusted just as `ds01 create --user` is trusted from root. Nobody else allocates at
// all (src/cli/authority.ts); root falls back to deciding locally under the same lock, with the
// same rules, when the broker cannot decide: the broker is a fast path for root and the gate.
import type { Server, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { errorText, TransientError } from "../../errors.js";
import type { AuditEvent } from "../../model/audit-event.js";
import type { Logger } from "../../util/log.js";
import { closeRootOnly, listenRootOnly } from "../../util/root-socket.js";
import { reserveBatch, type BatchItem, type Observation, type ReserveDeps } from "../allocator.js";
import { brokerRequestSchema, type BrokerAnswer } from "./protocol.js";
import { isStoreError } from "../../store/store-error.js";

export interface BrokerDeps {
  /** The allocator as of now (limits follow config reloads). */
  allocator(): ReserveDeps;
  /** Records a batch's audit events (one commit), before its answers go out. */
  audit(events: AuditEvent[]): void;
  /**
   * The current view of slots and containers, or why there is none (then callers decide locally).
   * A promise where the view needs a listing (a scoped daemon): requests arriving meanwhile wait
   * for the next batch.
   */
  observe(): Observation | { unavailable: string } | Promise<Observation | { unavailable: string }>;
  log: Logger;
}

interface Pending {
  id: number;
  item: BatchItem;
  reply(a: BrokerAnswer): void;
}

/** Longest request line accepted (a request is ~200 bytes). */
const MAX_LINE = 64 * 1024;
/** A connection that sends nothing for this long is closed. */
const IDLE_TIMEOUT_MS = 30_000;

/** A caller that went away must not take the broker (the daemon) down with it. */
function safely(f: () => void): void {
  try {
    f();
  } catch {
    // the connection is gone; its caller sees an error
  }
}

export class AllocationBroker {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private queue: Pending[] = [];
  private draining = false;
  /** Batches decided and requests answered since start (for logs and tests). */
  readonly counts = { batches: 0, requests: 0, largestBatch: 0, busyMs: 0 };
  /** Time from reading each request to writing its answer, in ms (the latest 10,000; for the bench). */
  readonly answerMs: number[] = [];

  constructor(
    readonly path: string,
    private readonly deps: BrokerDeps,
  ) {}

  async start(): Promise<void> {
    this.server = await listenRootOnly(this.path, (s) => this.accept(s));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.queue = []; // not decided: their callers see the connection close (an error, never a fallback)
    if (!server) return;
    await closeRootOnly(server, this.path, this.sockets);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setEncoding("utf8");
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
    let buf = "";
    const reply = (a: BrokerAnswer) => {
      if (!socket.destroyed && socket.writable) socket.write(JSON.stringify(a) + "\n");
    };
    socket.on("data", (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.length > MAX_LINE) return this.tooLong(socket, reply);
        if (line.trim()) this.receive(line, reply);
      }
      if (buf.length > MAX_LINE) this.tooLong(socket, reply);
    });
    socket.on("error", () => undefined);
    socket.on("close", () => this.sockets.delete(socket));
  }

  private tooLong(socket: Socket, reply: (a: BrokerAnswer) => void): void {
    reply({ id: -1, ok: false, error: `request longer than ${MAX_LINE} bytes`, source: "broker" });
    socket.end(); // after the answer is flushed
    socket.removeAllListeners("data");
  }

  private receive(line: string, reply: (a: BrokerAnswer) => void): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      reply({ id: -1, ok: false, error: "not a broker request: not JSON", source: "broker" });
      return;
    }
    const parsed = brokerRequestSchema.safeParse(json);
    if (!parsed.success) {
      const id = Number((json as { id?: unknown } | null)?.id) || -1;
      reply({ id, ok: false, error: `not a broker request: ${parsed.error.issues[0]?.message}`, source: "broker" });
      return;
    }
    const { id, request, adoptFrom } = parsed.data;
    const receivedAt = performance.now();
    this.queue.push({
      id,
      item: { request, adoptFrom },
      reply: (a) => {
        reply(a);
        if (this.answerMs.push(performance.now() - receivedAt) > 10_000) this.answerMs.shift();
      },
    });
    if (!this.draining) {
      this.draining = true;
      // Let every request already in the socket buffers join this batch.
      setImmediate(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.server !== null) {
        const batch = this.queue;
        this.queue = [];
        await this.decide(batch);
      }
    } finally {
      this.draining = false;
    }
  }

  /** Null when recorded, else why not. */
  private audit(events: AuditEvent[]): string | null {
    try {
      this.deps.audit(events);
      return null;
    } catch (e) {
      this.deps.log.error({ error: errorText(e), events: events.length }, "could not record allocation events");
      return errorText(e);
    }
  }

  private async decide(batch: Pending[]): Promise<void> {
    let obs: Awaited<ReturnType<BrokerDeps["observe"]>>;
    try {
      const o = this.deps.observe();
      obs = o instanceof Promise ? await o : o;
    } catch (e) {
      obs = { unavailable: errorText(e) };
    }
    if (this.server === null) return; // stopped meanwhile: the callers see the connection close
    await this.decideBatch(batch, obs);
  }

  /**
   * Decides under the allocation lock, waited for between timers (lockedAsync): while a local
   * decider holds it, the daemon's loop goes on serving (health, events, other sockets).
   */
  private async reserve(batch: Pending[], obs: Observation): Promise<ReturnType<typeof reserveBatch>> {
    const deps = this.deps.allocator();
    return deps.reservations.lockedAsync(() => {
      const t0 = performance.now();
      try {
        return reserveBatch(deps, batch.map((p) => p.item), obs); // its own locked() runs inside this lock
      } finally {
        this.counts.busyMs += performance.now() - t0;
      }
    });
  }

  private async decideBatch(batch: Pending[], obs: Observation | { unavailable: string }): Promise<void> {
    this.counts.batches++;
    this.counts.requests += batch.length;
    this.counts.largestBatch = Math.max(this.counts.largestBatch, batch.length);
    if ("unavailable" in obs) {
      for (const p of batch) safely(() => p.reply({ id: p.id, unavailable: obs.unavailable }));
      return;
    }
    let decided: ReturnType<typeof reserveBatch>;
    try {
      decided = await this.reserve(batch, obs);
    } catch (e) {
      // Nothing of this batch was committed (one transaction).
      if (e instanceof TransientError && e.source === "allocation-lock") {
        // Someone deciding on their own held the lock past the deadline: the callers wait for it
        // themselves.
        for (const p of batch) safely(() => p.reply({ id: p.id, unavailable: errorText(e) }));
        return;
      }
      // A store that fails (disk full, I/O error) is said to be the store, not "allocation".
      const store = isStoreError(e);
      const source = e instanceof TransientError ? e.source : store ? "store" : "allocation";
      const error = store ? `the allocation store failed, nothing was allocated: ${errorText(e)}` : errorText(e);
      this.deps.log.warn({ error: errorText(e), requests: batch.length }, "allocation batch failed");
      for (const p of batch) safely(() => p.reply({ id: p.id, ok: false, error, source }));
      return;
    }
    // Recorded before anyone hears the answer: a decision a caller has seen is in the audit log
    // (one commit per batch, so a burst still costs one write). One that cannot be recorded is not
    // handed out: its reservations expire by themselves.
    const unrecorded = decided.events.length > 0 ? this.audit(decided.events) : null;
    if (unrecorded !== null) {
      const error = `the audit store failed, so the decision was not handed out (its reservation expires by itself): ${unrecorded}`;
      for (const p of batch) safely(() => p.reply({ id: p.id, ok: false, error, source: "store" }));
      return;
    }
    decided.outcomes.forEach((o, i) => {
      const p = batch[i]!;
      safely(() => {
        if ("error" in o) p.reply({ id: p.id, ok: false, error: o.error.message, source: o.error.source });
        else if (o.ok) p.reply({ id: p.id, ok: true, allocation: o.allocation });
        else p.reply({ id: p.id, ok: false, rejection: o.rejection });
      });
    });
  }
}

// A fair queue for GPU creates that fit their owner's quota but find every suitable slot taken.
// Instead of a refusal (or a blind retry loop), such a create waits, up to `gate.gpu_wait_s`.
//
// Order: round-robin across users, each user's own requests in arrival order. After a user is
// served they go to the back of the rotation, so one user's burst of ten creates cannot keep a
// colleague's single create waiting behind all ten. Service is strictly in that order: when the
// request at the head still does not fit, nobody behind it is tried, so a two-GPU request is not
// starved by a stream of one-GPU requests that each take the slot that just freed.
//
// The queue does not poll: `kick()` is called when a slot may have freed (Docker destroyed a
// container, the gate released a reservation); each kick tries the head, then the next, until one
// must wait. A request whose client leaves (signal aborted) leaves the queue.
import type { Timers } from "../daemon/timers.js";
import type { Clock } from "../util/clock.js";

/** One try at the allocation: done (reserved, or refused for good), or still no free slot. */
export type Attempt<T> = { kind: "done"; value: T } | { kind: "wait"; reason: string };

export type QueueOutcome<T> =
  /** `trigger`: what made the queue try again when it was served (null: served without waiting). */
  | { kind: "done"; value: T; waitedMs: number; queued: boolean; trigger: string | null }
  /** Waited `gpu_wait_s` (or 0: no waiting) and still no slot; `reason` is the last try's. */
  | { kind: "timeout"; reason: string; waitedMs: number; queued: boolean }
  /** The client went away while waiting. */
  | { kind: "left"; waitedMs: number };

export interface QueueAsk {
  user: string;
  container: string;
  count: number;
}

export interface AdmitOptions {
  /** How long to wait in the queue; 0 = try once. */
  waitMs: number;
  /** Aborts when the client goes away. */
  signal?: AbortSignal;
  /** Called when the request joins the queue, with its position (1 = next). */
  onJoin?(position: number): void;
}

export interface WaitingView extends QueueAsk {
  /** 1 = served next. */
  position: number;
  since: number;
}

export interface GpuQueueOptions<T> {
  clock: Clock;
  timers: Timers;
  /** Called after every change of who waits (the snapshot for `gpu status` and metrics). */
  onChange?(waiting: WaitingView[]): void;
  /** A reservation made for a request whose client had already gone: undo it. */
  discard?(value: T): void;
}

interface Entry<T> extends QueueAsk {
  since: number;
  attempt: () => Promise<Attempt<T>>;
  lastReason: string;
  finish(o: QueueOutcome<T>): void;
  gone: boolean;
}

export class GpuQueue<T> {
  /** Users in rotation order; each user's requests in arrival order. */
  private rotation: string[] = [];
  private readonly byUser = new Map<string, Entry<T>[]>();
  private serving = false;
  private again = false;
  private trigger = "";

  constructor(private readonly opts: GpuQueueOptions<T>) {}

  get length(): number {
    let n = 0;
    for (const list of this.byUser.values()) n += list.length;
    return n;
  }

  /**
   * Tries at once when nobody waits; otherwise (or when that try must wait) joins the queue and
   * resolves when served, after `waitMs`, or when `signal` aborts. A request never overtakes one
   * that is already waiting.
   */
  async admit(ask: QueueAsk, attempt: () => Promise<Attempt<T>>, how: AdmitOptions): Promise<QueueOutcome<T>> {
    const { waitMs, signal } = how;
    let lastReason = "";
    if (this.length === 0) {
      const first = await attempt();
      if (first.kind === "done") return { kind: "done", value: first.value, waitedMs: 0, queued: false, trigger: null };
      if (waitMs <= 0) return { kind: "timeout", reason: first.reason, waitedMs: 0, queued: false };
      lastReason = first.reason;
    }
    if (signal?.aborted) return { kind: "left", waitedMs: 0 };
    const since = this.opts.clock.now();
    return new Promise<QueueOutcome<T>>((resolve) => {
      const entry: Entry<T> = { ...ask, since, attempt, lastReason, gone: false, finish: () => undefined };
      const waited = () => this.opts.clock.now() - since;
      const timer = this.opts.timers.set(() => {
        if (this.remove(entry)) entry.finish({ kind: "timeout", reason: entry.lastReason, waitedMs: waited(), queued: true });
      }, waitMs);
      const onAbort = () => {
        if (this.remove(entry)) entry.finish({ kind: "left", waitedMs: waited() });
      };
      entry.finish = (o) => {
        this.opts.timers.clear(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(o);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const list = this.byUser.get(ask.user);
      if (list) list.push(entry);
      else {
        this.byUser.set(ask.user, [entry]);
        this.rotation.push(ask.user);
      }
      this.changed();
      how.onJoin?.(this.waiting().find((x) => x.since === since && x.user === ask.user && x.container === ask.container)?.position ?? this.length);
      // A slot may have freed while the first try ran, with nobody waiting to be told.
      this.kick("joined the queue");
    });
  }

  /** Something may have freed a slot (`why`, for the audit): serve waiting requests, in order, while they fit. */
  kick(why = "re-check"): void {
    this.trigger = why;
    if (this.serving) {
      this.again = true;
      return;
    }
    void this.serve();
  }

  /** Who waits, in the order they will be served. */
  waiting(): WaitingView[] {
    return this.order().map((e, i) => ({ user: e.user, container: e.container, count: e.count, since: e.since, position: i + 1 }));
  }

  private async serve(): Promise<void> {
    this.serving = true;
    try {
      do {
        this.again = false;
        const trigger = this.trigger;
        for (let head = this.head(); head; head = this.head()) {
          let r: Attempt<T>;
          try {
            r = await head.attempt();
          } catch (e) {
            r = { kind: "wait", reason: e instanceof Error ? e.message : String(e) };
          }
          if (head.gone) {
            // Left (timeout or client gone) while its try ran: what it reserved goes back.
            if (r.kind === "done") this.opts.discard?.(r.value);
            continue;
          }
          if (r.kind === "wait") {
            head.lastReason = r.reason;
            break;
          }
          this.remove(head, true);
          head.finish({ kind: "done", value: r.value, waitedMs: this.opts.clock.now() - head.since, queued: true, trigger });
        }
      } while (this.again);
    } finally {
      this.serving = false;
    }
  }

  private head(): Entry<T> | undefined {
    const user = this.rotation[0];
    return user === undefined ? undefined : this.byUser.get(user)![0];
  }

  /** Round by round: each user's next request, users in rotation order. */
  private order(): Entry<T>[] {
    const lists = this.rotation.map((u) => this.byUser.get(u)!);
    const out: Entry<T>[] = [];
    for (let round = 0; out.length < this.length; round++) for (const l of lists) if (l[round]) out.push(l[round]!);
    return out;
  }

  /** Takes the entry out; `served` sends its user to the back of the rotation. False if already out. */
  private remove(entry: Entry<T>, served = false): boolean {
    if (entry.gone) return false;
    entry.gone = true;
    const list = this.byUser.get(entry.user)!;
    list.splice(list.indexOf(entry), 1);
    if (list.length === 0) {
      this.byUser.delete(entry.user);
      this.rotation = this.rotation.filter((u) => u !== entry.user);
    } else if (served) {
      // A user who merely lost a request (timeout, client gone) keeps their place.
      this.rotation = [...this.rotation.filter((u) => u !== entry.user), entry.user];
    }
    this.changed();
    return true;
  }

  private changed(): void {
    this.opts.onChange?.(this.waiting());
  }
}

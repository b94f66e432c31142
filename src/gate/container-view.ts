// The gate's picture of every container, so that a GPU create does not list the whole engine:
// one full listing at start (and every 30 s, and after the event stream reconnects), patched by
// Docker's events in between (the same Fleet the daemon keeps, with its guards against old news).
// The reservation rule needs to know when the last full listing began (a container created since
// may be missing, so its confirmed reservation still counts): the observation says so.
//
// Kept only while GPU creates come: the first one starts it (and lists the engine itself), and a
// view unused for IDLE_MS stops being listed and stops following events (no inspect after every
// create and start), so a gate that never sees a GPU create never pays for a picture of the engine.
//
// Whenever the picture may be incomplete — before the first listing, while the event stream is
// down, after an inspect that failed — it is not used: allocation then lists the engine itself.
import type { Observation } from "../allocation/allocator.js";
import type { Slot } from "../allocation/slots.js";
import { Fleet } from "../daemon/fleet.js";
import { identify, type IdentityOptions } from "../docker/identity.js";
import { errorText } from "../errors.js";
import type { ContainerEvent, ContainerRuntime } from "../model/ports.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";

export const RELIST_MS = 30_000;
const IDLE_MS = 10 * 60_000;

/** Events that change nothing allocation reads (owner, name, state, GPUs). */
const NOTHING_NEW = /^(exec_|attach|detach|resize|top|export|commit|copy|archive-path|extract-to-dir|health_status|oom|kill|update)/;

export interface ContainerViewDeps {
  runtime: () => Pick<ContainerRuntime, "list" | "inspect">;
  identity: () => IdentityOptions;
  clock: Clock;
  log: Logger;
}

export class ContainerView {
  private readonly fleet = new Fleet();
  private listedAt: number | null = null;
  private streamUp = false;
  /** Inspects that failed since the last listing: the picture may lack those containers. */
  private gaps = 0;
  private relisting: Promise<void> | null = null;
  private usedAt: number | null = null;

  constructor(private readonly d: ContainerViewDeps) {}

  /** The containers now, for an allocation; null when the picture may be incomplete. */
  observation(slots: Slot[]): Observation | null {
    // Events are not followed while the view is unused: it starts again from a listing.
    const idle = !this.wanted();
    this.usedAt = this.d.clock.now();
    if (idle) {
      this.listedAt = null;
      void this.relist();
    }
    if (!this.streamUp || this.listedAt === null || this.gaps > 0) return null;
    return { slots, containers: this.fleet.containers(), listedAt: this.listedAt, currentAt: this.d.clock.now(), source: "daemon" };
  }

  /** The event stream is connected (a listing follows, since events may have been missed) or not. */
  streamState(up: boolean): void {
    this.streamUp = up;
    if (up && this.wanted()) void this.relist();
  }

  /** The periodic re-listing, while the view is in use. */
  tick(): void {
    if (this.wanted()) void this.relist();
  }

  private wanted(): boolean {
    return this.usedAt !== null && this.d.clock.now() - this.usedAt < IDLE_MS;
  }

  /** A full listing; concurrent calls share one. */
  relist(): Promise<void> {
    this.relisting ??= this.listAll().finally(() => (this.relisting = null));
    return this.relisting;
  }

  private async listAll(): Promise<void> {
    const startedAt = this.d.clock.now();
    const gapsBefore = this.gaps;
    try {
      const listed = await this.d.runtime().list();
      this.fleet.replace(listed.map((info) => ({ ...info, identity: identify(info, this.d.identity()) })), startedAt);
      this.listedAt = startedAt;
      this.gaps -= gapsBefore; // gaps from after the listing began stay open
    } catch (e) {
      this.d.log.warn({ error: errorText(e) }, "gate: listing the containers failed; GPU creates list the engine themselves until one works");
    }
  }

  onEvent(e: ContainerEvent): void {
    // Unused (no GPU create for a while, or ever): no inspect competes with the callers' requests.
    if (!this.wanted()) return;
    const now = this.d.clock.now();
    if (NOTHING_NEW.test(e.action)) return;
    if (e.action === "destroy") {
      this.fleet.forget(e.id, now);
      return;
    }
    if (e.action === "die" || e.action === "stop") {
      this.fleet.markStopped(e.id, now, e.time);
      return;
    }
    // create, start, restart, rename, (un)pause…: read it again.
    const gen = this.fleet.bump(e.id, now);
    void this.d
      .runtime()
      .inspect(e.id)
      .then((info) => {
        if (info && this.fleet.generation(e.id) === gen) this.fleet.upsert({ ...info, identity: identify(info, this.d.identity()) }, gen);
      })
      .catch((err: unknown) => {
        this.gaps++;
        this.d.log.warn({ container_id: e.id.slice(0, 12), error: errorText(err) }, "gate: inspect after a Docker event failed; listing again");
        void this.relist();
      });
  }
}

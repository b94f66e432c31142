// The daemon's in-memory picture of every container, between passes: replaced by each pass's
// listing (level-triggered), patched at once by Docker events. Metrics are computed from it at
// scrape time. Three guards keep old news from overwriting new: a per-container generation (a slow
// inspect never overwrites a later event), the time of each container's last event (a listing
// that started before that event does not overwrite what the event said), and the Docker time of
// its last die/stop: Docker 20.10 sends `die` before it records the exit, so a listing or inspect
// made just after the event can still say "running"; a live state whose start is not later than
// the die is that stale answer, not a restart.
import { notStopped, type ObservedContainer } from "../model/container.js";

export function holdsGpu(c: ObservedContainer): boolean {
  return c.identity.hasGpu || c.identity.gpus.length > 0;
}

/** The container as a die/stop event leaves it. */
function stopped(c: ObservedContainer, finishedAt: number): ObservedContainer {
  return { ...c, state: "exited", pid: null, finishedAt };
}

/** How long a die event outweighs listings that still say "running" (Docker catches up in ms). */
export const DIE_GUARD_MS = 30_000;

export class Fleet {
  private byId = new Map<string, ObservedContainer>();
  private readonly generations = new Map<string, number>();
  /** When an event last changed a container (daemon clock), including removed ones. */
  private readonly touched = new Map<string, number>();
  /** Docker time of the die/stop event not yet confirmed by a listing, and when it was recorded (daemon clock). */
  private readonly diedAt = new Map<string, { died: number; at: number }>();
  private listedAt: number | null = null;

  /**
   * Takes a full listing that started at `listStartedAt`. Returns the GPU containers that were
   * live here and are now stopped or gone, so their exit is accounted even when the Docker event
   * was missed (engine restart). Containers changed by an event after the listing started keep
   * what the event said.
   */
  replace(containers: readonly ObservedContainer[], listStartedAt: number): { stopped: ObservedContainer[]; gone: ObservedContainer[] } {
    const fresh = (id: string) => (this.touched.get(id) ?? -Infinity) > listStartedAt;
    for (const [id, d] of this.diedAt) if (listStartedAt - d.at > DIE_GUARD_MS) this.diedAt.delete(id);
    const next = new Map<string, ObservedContainer>();
    const stillDying = new Set<string>();
    for (const listed of containers) {
      if (this.staleLive(listed)) stillDying.add(listed.id);
      const c = this.unlessStale(listed);
      if (!fresh(c.id)) next.set(c.id, c);
      else if (this.byId.has(c.id)) next.set(c.id, this.byId.get(c.id)!);
    }
    // Docker has caught up (or the container restarted, or is gone): the die needs no more guarding,
    // unless the die came after this listing began (the listing cannot have seen it). Above: a guard
    // that Docker contradicts for longer than DIE_GUARD_MS is dropped (Docker is the source of truth).
    for (const id of this.diedAt.keys()) if (!fresh(id) && !stillDying.has(id)) this.diedAt.delete(id);
    for (const [id, c] of this.byId) if (!next.has(id) && fresh(id)) next.set(id, c);
    const stopped: ObservedContainer[] = [];
    const gone: ObservedContainer[] = [];
    if (this.listedAt !== null) {
      for (const [id, before] of this.byId) {
        if (fresh(id) || !notStopped(before.state) || !holdsGpu(before)) continue;
        const now = next.get(id);
        if (!now) gone.push(before);
        else if (!notStopped(now.state)) stopped.push(now);
      }
    }
    this.byId = next;
    for (const [id, at] of this.touched) {
      if (at > listStartedAt) continue;
      this.touched.delete(id);
      if (!next.has(id)) this.generations.delete(id);
    }
    this.listedAt = listStartedAt;
    return { stopped, gone };
  }

  /** When the last full listing was taken (null: none yet). */
  get lastListedAt(): number | null {
    return this.listedAt;
  }

  get(id: string): ObservedContainer | undefined {
    return this.byId.get(id);
  }

  containers(): ObservedContainer[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }

  generation(id: string): number {
    return this.generations.get(id) ?? 0;
  }

  /** Something happened to this container at `now`: inspects asked earlier are outdated. */
  bump(id: string, now: number): number {
    const g = this.generation(id) + 1;
    this.generations.set(id, g);
    this.touched.set(id, now);
    this.diedAt.delete(id);
    return g;
  }

  /** Stores an inspect result unless an event came in after it was asked for. */
  upsert(c: ObservedContainer, askedAtGeneration: number): boolean {
    if (this.generation(c.id) !== askedAtGeneration) return false;
    this.byId.set(c.id, this.unlessStale(c));
    return true;
  }

  /** A live state that predates the container's recorded die: Docker has not caught up yet. */
  private staleLive(c: ObservedContainer): boolean {
    const d = this.diedAt.get(c.id);
    return d !== undefined && notStopped(c.state) && (c.startedAt ?? -Infinity) <= d.died;
  }

  private unlessStale(c: ObservedContainer): ObservedContainer {
    return this.staleLive(c) ? stopped(c, this.diedAt.get(c.id)!.died) : c;
  }

  /** The container stopped (die/stop). Returns it as it was, or undefined when unknown. */
  markStopped(id: string, now: number, finishedAt: number): ObservedContainer | undefined {
    this.bump(id, now);
    this.diedAt.set(id, { died: finishedAt, at: now });
    const before = this.byId.get(id);
    if (before) this.byId.set(id, stopped(before, finishedAt));
    return before;
  }

  /** The container was removed. Returns it as it was, or undefined when unknown. */
  forget(id: string, now: number): ObservedContainer | undefined {
    this.bump(id, now);
    const before = this.byId.get(id);
    this.byId.delete(id);
    return before;
  }
}

// The daemon's in-memory picture of every container, between passes: replaced by each pass's
// listing (level-triggered), patched at once by Docker events. Metrics are computed from it at
// scrape time. Two guards keep old news from overwriting new: a per-container generation (a slow
// inspect never overwrites a later event) and the time of each container's last event (a listing
// that started before that event does not overwrite what the event said).
import type { ContainerState, ObservedContainer } from "../model/container.js";

/** States in which a container holds its GPUs. Exited, dead and removing ones have let go. */
export function isLive(state: ContainerState): boolean {
  return state !== "exited" && state !== "dead" && state !== "removing";
}

export function holdsGpu(c: ObservedContainer): boolean {
  return c.identity.hasGpu || c.identity.gpus.length > 0;
}

export class Fleet {
  private byId = new Map<string, ObservedContainer>();
  private readonly generations = new Map<string, number>();
  /** When an event last changed a container (daemon clock), including removed ones. */
  private readonly touched = new Map<string, number>();
  private listedAt: number | null = null;

  /**
   * Takes a full listing that started at `listStartedAt`. Returns the GPU containers that were
   * live here and are now stopped or gone, so their exit is accounted even when the Docker event
   * was missed (engine restart). Containers changed by an event after the listing started keep
   * what the event said.
   */
  replace(containers: readonly ObservedContainer[], listStartedAt: number): { stopped: ObservedContainer[]; gone: ObservedContainer[] } {
    const fresh = (id: string) => (this.touched.get(id) ?? -Infinity) > listStartedAt;
    const next = new Map<string, ObservedContainer>();
    for (const c of containers) {
      if (!fresh(c.id)) next.set(c.id, c);
      else if (this.byId.has(c.id)) next.set(c.id, this.byId.get(c.id)!);
    }
    for (const [id, c] of this.byId) if (!next.has(id) && fresh(id)) next.set(id, c);
    const stopped: ObservedContainer[] = [];
    const gone: ObservedContainer[] = [];
    if (this.listedAt !== null) {
      for (const [id, before] of this.byId) {
        if (fresh(id) || !isLive(before.state) || !holdsGpu(before)) continue;
        const now = next.get(id);
        if (!now) gone.push(before);
        else if (!isLive(now.state)) stopped.push(now);
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
    return g;
  }

  /** Stores an inspect result unless an event came in after it was asked for. */
  upsert(c: ObservedContainer, askedAtGeneration: number): boolean {
    if (this.generation(c.id) !== askedAtGeneration) return false;
    this.byId.set(c.id, c);
    return true;
  }

  /** The container stopped (die/stop). Returns it as it was, or undefined when unknown. */
  markStopped(id: string, now: number, finishedAt: number): ObservedContainer | undefined {
    this.bump(id, now);
    const before = this.byId.get(id);
    if (before) this.byId.set(id, { ...before, state: "exited", pid: null, finishedAt });
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

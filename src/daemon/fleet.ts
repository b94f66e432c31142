// The daemon's in-memory picture of every container, between passes: replaced by each pass's
// listing (level-triggered), patched at once by Docker events. Metrics are computed from it at
// scrape time. A per-container generation lets a slow inspect never overwrite a newer event.
import type { ContainerState, ObservedContainer } from "../model/container.js";

/** States in which a container holds its GPUs. Exited, dead and removing ones have let go. */
export function isLive(state: ContainerState): boolean {
  return state !== "exited" && state !== "dead" && state !== "removing";
}

export function holdsGpu(c: ObservedContainer): boolean {
  return c.identity.hasGpu || c.identity.gpus.length > 0;
}

export class Fleet {
  private readonly byId = new Map<string, ObservedContainer>();
  private readonly generations = new Map<string, number>();
  private listedAt: number | null = null;

  /**
   * Takes a full listing. Returns the GPU containers that were live here and are now stopped or
   * gone, so their exit is accounted even when the Docker event was missed (engine restart).
   */
  replace(containers: readonly ObservedContainer[], at: number): { stopped: ObservedContainer[]; gone: ObservedContainer[] } {
    const next = new Map(containers.map((c) => [c.id, c]));
    const stopped: ObservedContainer[] = [];
    const gone: ObservedContainer[] = [];
    if (this.listedAt !== null) {
      for (const [id, before] of this.byId) {
        if (!isLive(before.state) || !holdsGpu(before)) continue;
        const now = next.get(id);
        if (!now) gone.push(before);
        else if (!isLive(now.state)) stopped.push(now);
      }
    }
    this.byId.clear();
    for (const [id, c] of next) this.byId.set(id, c);
    for (const id of this.generations.keys()) this.bump(id);
    this.listedAt = at;
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

  /** Marks that something newer than any inspect in flight is known about this container. */
  bump(id: string): number {
    const g = this.generation(id) + 1;
    this.generations.set(id, g);
    return g;
  }

  /** Stores an inspect result unless an event came in after it was asked for. */
  upsert(c: ObservedContainer, askedAtGeneration: number): boolean {
    if (this.generation(c.id) !== askedAtGeneration) return false;
    this.byId.set(c.id, c);
    return true;
  }

  /** The container stopped (die/stop). Returns it as it was, or undefined when unknown. */
  markStopped(id: string, at: number): ObservedContainer | undefined {
    this.bump(id);
    const before = this.byId.get(id);
    if (before) this.byId.set(id, { ...before, state: "exited", pid: null, finishedAt: at });
    return before;
  }

  /** The container was removed. Returns it as it was, or undefined when unknown. */
  forget(id: string): ObservedContainer | undefined {
    const before = this.byId.get(id);
    this.byId.delete(id);
    this.generations.delete(id);
    return before;
  }
}

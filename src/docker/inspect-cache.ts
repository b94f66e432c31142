// Reuses inspect bodies between list() calls so that a pass over a steady fleet costs one list call,
// not one inspect per container. Only what Docker cannot change without the list entry changing
// too is reused:
//   - the entry's State and Status text must be the same as when the body was fetched. Docker's
//     Status ("Up 3 hours", "Exited (0) 5 minutes ago") restarts from seconds on every start and
//     every exit, so a restart or a new exit shows as a different text at the next list;
//   - the body must be "settled": its last start (running/paused/restarting) or last exit
//     (exited/dead) at least SETTLE_MS before it was fetched. Young containers show second-level
//     texts that a quick restart could repeat ("Up 40 seconds"), so they are always inspected;
//   - and it must be younger than maxAgeMs: a hard bound on staleness, whatever Docker prints.
// `created` never changes without a state change. Any other state is always inspected.
import { canRunProcesses } from "../model/container.js";
import type { InspectBody, ListEntry } from "./engine-schema.js";
import { parseDockerTime, parseState } from "./parse.js";

export const SETTLE_MS = 120_000;
export const DEFAULT_INSPECT_CACHE_MAX_AGE_MS = 300_000;

export interface CachedInspect {
  body: InspectBody;
  key: string;
  fetchedAt: number;
}

export function cacheKey(entry: ListEntry): string | null {
  const status = entry.Status?.trim();
  return status ? `${entry.State}\u0000${status}` : null;
}

/** True when `cached` may stand in for a fresh inspect of the container `entry` describes (pure). */
export function reusable(cached: CachedInspect, entry: ListEntry, now: number, maxAgeMs: number): boolean {
  if (cached.body.Id !== entry.Id) return false;
  if (now - cached.fetchedAt > maxAgeMs || now < cached.fetchedAt) return false;
  if (cacheKey(entry) !== cached.key) return false;
  const state = parseState(entry.State);
  if (state === "created") return true;
  const since =
    state !== null && canRunProcesses(state)
      ? parseDockerTime(cached.body.State.StartedAt)
      : state === "exited" || state === "dead"
        ? parseDockerTime(cached.body.State.FinishedAt)
        : null;
  return since !== null && cached.fetchedAt - since >= SETTLE_MS;
}

export class InspectCache {
  private readonly entries = new Map<string, CachedInspect>();
  private dirty = false;

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number,
  ) {}

  get(entry: ListEntry): InspectBody | null {
    if (this.maxAgeMs <= 0) return null;
    const c = this.entries.get(entry.Id);
    return c && reusable(c, entry, this.now(), this.maxAgeMs) ? c.body : null;
  }

  /** Remembers a body fetched for `entry` at `fetchedAt` (taken before the request was sent). */
  put(entry: ListEntry, body: InspectBody, fetchedAt: number): void {
    const key = cacheKey(entry);
    if (this.maxAgeMs <= 0 || key === null) return;
    this.entries.set(entry.Id, { body, key, fetchedAt });
    this.dirty = true;
  }

  invalidate(id: string): void {
    if (this.entries.delete(id)) this.dirty = true;
  }

  /** Forgets containers that are no longer listed. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.entries.keys()) if (!ids.has(id) && this.entries.delete(id)) this.dirty = true;
  }

  /** Forgets entries too old to be reused (those of containers a filtered listing did not show). */
  dropExpired(): void {
    const now = this.now();
    for (const [id, c] of this.entries) {
      if ((now - c.fetchedAt > this.maxAgeMs || now < c.fetchedAt) && this.entries.delete(id)) this.dirty = true;
    }
  }

  /** Takes entries an earlier process kept (inspect-cache-file.ts); `get` judges them by the same rule. */
  load(entries: readonly CachedInspect[]): void {
    for (const e of entries) this.entries.set(e.body.Id, e);
  }

  /** Every entry, and whether any changed since the last call (what a one-shot process keeps). */
  takeChanges(): { entries: CachedInspect[]; changed: boolean } {
    const changed = this.dirty;
    this.dirty = false;
    return { entries: [...this.entries.values()], changed };
  }

  get size(): number {
    return this.entries.size;
  }
}

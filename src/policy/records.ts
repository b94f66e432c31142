// Bookkeeping of a container's record at each observation: restart-proof runtime, names, owners.
import type { ObservedContainer } from "../model/container.js";
import { newRecord, type ContainerRecord } from "../model/record.js";

/** The record after observing the container at `now` (no decisions here, only accounting). */
export function observeRecord(prev: ContainerRecord | null, c: ObservedContainer, now: number): ContainerRecord {
  const r: ContainerRecord = prev ? { ...prev } : newRecord(c.id, c.name, c.identity.owner, now);
  r.name = c.name;
  r.owner = c.identity.owner;
  if (c.startedAt !== null) {
    r.firstStartedAt = r.firstStartedAt === null ? c.startedAt : Math.min(r.firstStartedAt, c.startedAt);
    if (r.lastStartedAt !== null && c.startedAt > r.lastStartedAt) {
      // Restarted since we last looked: bank the previous run (up to its FinishedAt when Docker kept it).
      const end = c.finishedAt !== null && c.finishedAt >= r.lastStartedAt && c.finishedAt <= c.startedAt ? c.finishedAt : c.startedAt;
      r.runtimeAccumulatedMs += end - r.lastStartedAt;
      // A new run starts a new idle period (its own grace, streak and warnings).
      r.idleStreak = 0;
      r.idleSince = null;
      r.idleWarnedAt = null;
      r.idleFinalWarnedAt = null;
      r.idleNoticeAt = null;
    }
    r.lastStartedAt = c.startedAt;
  }
  r.lastObservedAt = now;
  return r;
}

/** Running time across restarts, as far as ds01's records go. */
export function runtimeMs(r: ContainerRecord, c: ObservedContainer, now: number): number | null {
  if (c.state !== "running" || c.startedAt === null) return null;
  return r.runtimeAccumulatedMs + Math.max(0, now - c.startedAt);
}

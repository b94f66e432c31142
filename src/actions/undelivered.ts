// The rule for a warning that no channel can deliver (no terminal, the in-container file refused by
// both the archive endpoint and exec — e.g. a read-only root filesystem without a shell — and no
// webhook or e-mail): it must not shield the container from its stop for ever. So:
// - a warning that no channel took is not counted and is tried again at the next check;
// - once the same warning (same kind and reason, same idle period or run) has failed at
//   UNDELIVERED_ATTEMPTS checks, it counts as given: recorded with `delivered: 0, undeliverable:
//   true` and its attempts, and the admins are alerted that the owner could not be reached. From
//   there the usual lead times run, so the stop comes at most UNDELIVERED_ATTEMPTS - 1 checks later
//   per warning than it would have.
// A warning that got through at least one channel counts as delivered, as always; the in-container
// file counts as delivered when the archive PUT (or the exec fallback) succeeded.
import type { ContainerRecord, UndeliveredWarning } from "../model/record.js";
import type { WarningAction } from "../policy/plan-types.js";

export const UNDELIVERED_ATTEMPTS = 2;

/** The record's undelivered-warning tally after one more failed attempt of `a` at `now`. */
export function countUndelivered(rec: ContainerRecord, a: WarningAction, now: number): UndeliveredWarning {
  const streak = a.reason === "max_runtime" ? rec.firstStartedAt : rec.idleSince;
  const prev = rec.undelivered;
  if (prev && prev.kind === a.kind && prev.reason === a.reason && prev.streak === streak) return { ...prev, attempts: prev.attempts + 1 };
  return { kind: a.kind, reason: a.reason, streak, attempts: 1, firstAt: now };
}

export function givenUp(u: UndeliveredWarning): boolean {
  return u.attempts >= UNDELIVERED_ATTEMPTS;
}

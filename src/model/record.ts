// What ds01 remembers about one container between passes, keyed by container ID (never by name,
// so a new container reusing a name starts clean). Times are epoch milliseconds.

export interface CounterSample {
  value: number; // cumulative counter (CPU nanoseconds, network bytes)
  at: number;
}

export interface ContainerRecord {
  containerId: string;
  name: string;
  owner: string;
  firstSeenAt: number;
  /** Earliest StartedAt ds01 has seen: max runtime counts from here, so `docker restart` doesn't reset it. */
  firstStartedAt: number | null;
  /** StartedAt of the run ds01 saw last; a new value means the container was (re)started. */
  lastStartedAt: number | null;
  /** Running time of earlier runs (restart-proof max runtime = this + time since lastStartedAt). */
  runtimeAccumulatedMs: number;
  /** Consecutive idle observations. */
  idleStreak: number;
  /** First idle observation of the current streak. */
  idleSince: number | null;
  lastObservedAt: number | null;
  idleWarnedAt: number | null;
  idleFinalWarnedAt: number | null;
  idleNoticeAt: number | null;
  runtimeWarnedAt: number | null;
  runtimeFinalWarnedAt: number | null;
  runtimeExemptAuditedAt: number | null;
  /** Set by `ds01 keepalive`: no idle stop before this time. */
  keepaliveUntil: number | null;
  lastCpu: CounterSample | null;
  lastNet: CounterSample | null;
  /**
   * When ds01 itself last ran a command inside the container (the in-container notice file,
   * `ds01 keepalive`): the CPU of that interval is ds01's, not the owner's, so it is not activity.
   */
  selfExecAt: number | null;
  /**
   * A warning that no channel could deliver, as often as it was tried (src/actions/undelivered.ts).
   * Absent or null when the last warning got through.
   */
  undelivered?: UndeliveredWarning | null;
}

export interface UndeliveredWarning {
  kind: string;
  reason: string;
  /** Which idle period or run it belongs to (idleSince, or the first start for runtime warnings). */
  streak: number | null;
  attempts: number;
  firstAt: number;
}

export function newRecord(containerId: string, name: string, owner: string, now: number): ContainerRecord {
  return {
    containerId,
    name,
    owner,
    firstSeenAt: now,
    firstStartedAt: null,
    lastStartedAt: null,
    runtimeAccumulatedMs: 0,
    idleStreak: 0,
    idleSince: null,
    lastObservedAt: null,
    idleWarnedAt: null,
    idleFinalWarnedAt: null,
    idleNoticeAt: null,
    runtimeWarnedAt: null,
    runtimeFinalWarnedAt: null,
    runtimeExemptAuditedAt: null,
    keepaliveUntil: null,
    lastCpu: null,
    lastNet: null,
    selfExecAt: null,
  };
}

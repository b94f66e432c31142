// The intent log of destructive actions (stop, remove, kill): a row is committed before the action
// starts and closed with its outcome, in one transaction with the outcome's audit events. So a
// crash at any moment leaves either a closed intent with its audit record, or an open intent that
// the next pass reconciles against the engine (reconcile.ts). The rows live in the store's
// `intents` table (store migration 3).
import type { AuditEvent } from "../model/audit-event.js";
import type { Store } from "../store/index.js";
import { pidOf } from "../policy/action-target.js";
import type { KillProcessAction, PlannedAction, RemoveAction, StopAction } from "../policy/plan-types.js";
import type { IntentRow as StoredIntentRow } from "../store/intent-table.js";

/** The actions that are written as intents before they start. */
export type DestructiveAction = StopAction | RemoveAction | KillProcessAction;
export type IntentKind = DestructiveAction["kind"];
export type IntentOutcome = "done" | "failed" | "reconciled_done" | "reconciled_not_done";

export interface Intent {
  id: number;
  kind: IntentKind;
  containerId: string | null;
  pid: number | null;
  /** The planned action, or null when its stored copy cannot be read (a damaged row: the columns remain). */
  action: PlannedAction | null;
  /** What the act-time guard saw (e.g. the StartedAt of the run being stopped). */
  facts: Record<string, unknown>;
  startedAt: number;
  /** By then the action has finished one way or the other (its grace plus the engine's deadline). */
  deadlineAt: number;
  ownerPid: number;
  abandonedAt: number | null;
}

/** A stored row, its kind narrowed to the kinds that have intents. */
type IntentRow = Omit<StoredIntentRow, "kind"> & { kind: IntentKind };

export class IntentLog {
  /** This process's open intents, by id. */
  private readonly mine = new Map<number, Intent>();

  constructor(private readonly store: Pick<Store, "intents" | "transaction" | "commit">) {}

  /** Commits the intent; the action may start once this returns. */
  open(a: DestructiveAction, at: number, deadlineAt: number, facts: Record<string, unknown> = {}): Intent {
    const pid = pidOf(a);
    const id = this.store.intents.insert({ kind: a.kind, containerId: a.containerId, pid, action: JSON.stringify({ action: a, facts }), startedAt: at, deadlineAt, ownerPid: process.pid });
    const intent: Intent = { id, kind: a.kind, containerId: a.containerId, pid, action: a, facts, startedAt: at, deadlineAt, ownerPid: process.pid, abandonedAt: null };
    this.mine.set(intent.id, intent);
    return intent;
  }

  /**
   * Closes the intent with its outcome and audit events, all in one transaction. Returns false (and
   * writes nothing) when shutdown abandoned it meanwhile: the next start reconciles it instead.
   */
  close(intent: Intent, outcome: IntentOutcome, events: readonly AuditEvent[], at: number): boolean {
    const own = this.mine.get(intent.id);
    if (own?.abandonedAt != null) return false;
    this.store.transaction(() => {
      this.store.intents.close(intent.id, outcome, at);
      this.store.commit([], events);
    });
    this.mine.delete(intent.id);
    return true;
  }

  /** This process's intents still open (the actions in flight). */
  inFlight(): Intent[] {
    return [...this.mine.values()].filter((i) => i.abandonedAt === null);
  }

  /**
   * Shutdown gives up on these: marks them abandoned (they stay open, so the next start reconciles
   * them) with one audit event each, and makes their late completions write nothing.
   */
  abandon(intents: readonly Intent[], at: number, reason: string): void {
    if (intents.length === 0) return;
    this.store.transaction(() => {
      for (const i of intents) this.store.intents.abandon(i.id, at);
      this.store.commit([], intents.map((i) => abandonedEvent(i, at, reason)));
    });
    for (const i of intents) {
      const own = this.mine.get(i.id);
      if (own) own.abandonedAt = at;
    }
  }

  /** Every intent still open in the store, oldest first, except this process's actions in flight. */
  unreconciled(): Intent[] {
    const rows = this.store.intents.open() as IntentRow[];
    return rows.filter((r) => !this.mine.has(r.id) || this.mine.get(r.id)!.abandonedAt !== null).map(fromRow);
  }
}

function fromRow(r: IntentRow): Intent {
  let action: PlannedAction | null = null;
  let facts: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(r.action) as { action?: PlannedAction; facts?: Record<string, unknown> };
    if (parsed.action && typeof parsed.action === "object" && parsed.action.kind === r.kind) action = parsed.action;
    if (parsed.facts && typeof parsed.facts === "object") facts = parsed.facts;
  } catch {
    /* a damaged row: reconciled from its columns alone */
  }
  return { id: r.id, kind: r.kind, containerId: r.container_id, pid: r.pid, action, facts, startedAt: r.started_at, deadlineAt: r.deadline_at, ownerPid: r.owner_pid, abandonedAt: r.abandoned_at };
}

function abandonedEvent(i: Intent, at: number, reason: string): AuditEvent {
  return {
    time: at,
    type: "action.abandoned",
    user: i.action?.user ?? null,
    container: i.action?.container ?? null,
    containerId: i.containerId,
    details: { kind: i.kind, reason: i.action?.reason ?? null, summary: i.action?.summary ?? null, intent_started_at: i.startedAt, deadline_at: i.deadlineAt, why: reason, ...(i.pid !== null ? { pid: i.pid } : {}) },
  };
}

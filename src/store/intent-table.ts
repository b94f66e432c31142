// Intents of destructive actions (table intents, migration 3). The store owns the SQL;
// src/actions/intents.ts decides what an intent means.
import type Database from "better-sqlite3";

export interface IntentRow {
  id: number;
  kind: string;
  container_id: string | null;
  pid: number | null;
  action: string;
  started_at: number;
  deadline_at: number;
  owner_pid: number;
  abandoned_at: number | null;
}

export interface NewIntent {
  kind: string;
  containerId: string | null;
  pid: number | null;
  /** JSON of the planned action and its facts. */
  action: string;
  startedAt: number;
  deadlineAt: number;
  ownerPid: number;
}

export interface IntentTable {
  /** Inserts an open intent; returns its id. */
  insert(i: NewIntent): number;
  close(id: number, outcome: string, at: number): void;
  abandon(id: number, at: number): void;
  /** Every intent still open, oldest first. */
  open(): IntentRow[];
}

/** `wrote`: called after each write (a commit, outside a transaction). */
export function intentTable(db: Database.Database, wrote: () => void = () => undefined): IntentTable {
  const written = <T>(v: T): T => {
    wrote();
    return v;
  };
  return {
    insert: (i) =>
      written(
        Number(
          db
            .prepare("INSERT INTO intents (kind, container_id, pid, action, started_at, deadline_at, owner_pid) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .run(i.kind, i.containerId, i.pid, i.action, i.startedAt, i.deadlineAt, i.ownerPid).lastInsertRowid,
        ),
      ),
    close: (id, outcome, at) => void written(db.prepare("UPDATE intents SET outcome = ?, closed_at = ? WHERE id = ? AND closed_at IS NULL").run(outcome, at, id)),
    abandon: (id, at) => void written(db.prepare("UPDATE intents SET abandoned_at = ? WHERE id = ? AND closed_at IS NULL").run(at, id)),
    open: () => db.prepare("SELECT id, kind, container_id, pid, action, started_at, deadline_at, owner_pid, abandoned_at FROM intents WHERE closed_at IS NULL ORDER BY id").all() as IntentRow[],
  };
}

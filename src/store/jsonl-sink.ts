// Appends audit events to a JSONL file in the original's format, and mirrors an EventStore into it.
// The file is opened per write (O_APPEND, one write(2) per line), so logrotate's copytruncate or a
// rename both work and concurrent writers never interleave inside a line.
import { closeSync, mkdirSync, openSync, writeSync, constants as fsc } from "node:fs";
import { dirname } from "node:path";
import type { AuditEvent } from "../model/audit-event.js";
import type { EventStore } from "../model/ports.js";
import { formatJsonlLine } from "./jsonl-format.js";

export interface JsonlSink {
  readonly path: string;
  /** Appends one event. Never throws: returns the error (a line too long to keep is an error too). */
  write(event: AuditEvent): Error | null;
}

export interface JsonlSinkOptions {
  /** Mode of a newly created file. Default 0o640. */
  mode?: number;
}

export function createJsonlSink(path: string, opts: JsonlSinkOptions = {}): JsonlSink {
  const flags = fsc.O_WRONLY | fsc.O_APPEND | fsc.O_CREAT;
  return {
    path,
    write(event) {
      const line = formatJsonlLine(event);
      if (line === null) return new Error(`event ${event.type} is too large for a JSONL line; not mirrored`);
      let fd: number | null = null;
      try {
        mkdirSync(dirname(path), { recursive: true });
        fd = openSync(path, flags, opts.mode ?? 0o640);
        const buf = Buffer.from(line + "\n", "utf8");
        const n = writeSync(fd, buf);
        if (n !== buf.length) return new Error(`short write to ${path} (${n} of ${buf.length} bytes)`);
        return null;
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      } finally {
        if (fd !== null) closeSync(fd);
      }
    },
  };
}

/** Called when mirroring fails; the event is already safe in the store. */
export type MirrorErrorHandler = (error: Error, event: AuditEvent) => void;

/**
 * An EventStore that also appends every event to `sink` AFTER the store has it. A mirror failure
 * goes to `onError` and never throws out of append(): the SQLite record is what counts.
 */
export function withJsonlMirror(store: EventStore, sink: JsonlSink, onError: MirrorErrorHandler = () => {}): EventStore {
  return {
    append(event) {
      store.append(event);
      mirrorEvents(sink, [event], onError);
    },
    query: (filter) => store.query(filter),
  };
}

export function mirrorEvents(sink: JsonlSink, events: readonly AuditEvent[], onError: MirrorErrorHandler): void {
  for (const e of events) {
    const err = sink.write(e);
    if (err) {
      try {
        onError(err, e);
      } catch {
        // a failing error handler must not turn a stored event into a failed append
      }
    }
  }
}

// Inspect bodies kept between one-shot processes (`ds01 check`, `ds01 status`), so that a run over a
// settled fleet costs one list call, as the daemon's passes do. The file only feeds InspectCache,
// whose rule decides each reuse exactly as in the daemon (same state and status text, settled,
// fetched within the maximum age); the executor's guards inspect live before anything destructive.
//
// Trust: the file is read only when this process's user owns it and nobody else may write it (it
// lives in the state directory, 0750 root). Anything unexpected reads as an empty cache. It is
// written without fsync (a lost or torn cache is only a slower next run), 0600, by rename.
import { closeSync, fstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { inspectSchema } from "./engine-schema.js";
import type { CachedInspect } from "./inspect-cache.js";

export const INSPECT_CACHE_FILE = "inspect-cache.json";
const FORMAT = 1;

function isEntry(x: unknown): x is CachedInspect {
  if (typeof x !== "object" || x === null) return false;
  const e = x as Record<string, unknown>;
  return typeof e.key === "string" && typeof e.fetchedAt === "number" && inspectSchema.safeParse(e.body).success;
}

/** The entries in `file`, or none (missing, not ours, writable by others, or not in this format). */
export function readInspectCacheFile(file: string): CachedInspect[] {
  let text: string;
  try {
    const fd = openSync(file, "r");
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0) return [];
      text = readFileSync(fd, "utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return [];
  }
  try {
    const doc = JSON.parse(text) as { format?: unknown; entries?: unknown };
    return doc.format === FORMAT && Array.isArray(doc.entries) ? doc.entries.filter(isEntry) : [];
  } catch {
    return [];
  }
}

/** Replaces `file` (best effort: a directory this process may not write is simply not written). */
export function writeInspectCacheFile(file: string, entries: readonly CachedInspect[]): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, JSON.stringify({ format: FORMAT, entries }), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* nothing was written */
    }
  }
}

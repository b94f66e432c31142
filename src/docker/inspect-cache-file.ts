// Inspect bodies kept between one-shot processes (`ds01 check`, `ds01 status`), so that a run over a
// settled fleet costs one list call, as the daemon's passes do. The file only feeds InspectCache,
// whose rule decides each reuse exactly as in the daemon (same state and status text, settled,
// fetched within the maximum age); the executor's guards inspect live before anything destructive.
// Trust and writing: util/private-file.ts (the file lives in the state directory, 0750 root).
import { readPrivateFile, writePrivateFile } from "../util/private-file.js";
import { inspectSchema } from "./engine-schema.js";
import type { CachedInspect } from "./inspect-cache.js";

export const INSPECT_CACHE_FILE = "inspect-cache.json";
const FORMAT = 1;

function isEntry(x: unknown): x is CachedInspect {
  if (typeof x !== "object" || x === null) return false;
  const e = x as Record<string, unknown>;
  return typeof e.key === "string" && typeof e.fetchedAt === "number" && inspectSchema.safeParse(e.body).success;
}

/** The entries in `file`, or none (no trusted file, or not in this format). */
export function readInspectCacheFile(file: string): CachedInspect[] {
  const text = readPrivateFile(file);
  if (text === null) return [];
  try {
    const doc = JSON.parse(text) as { format?: unknown; entries?: unknown };
    return doc.format === FORMAT && Array.isArray(doc.entries) ? doc.entries.filter(isEntry) : [];
  } catch {
    return [];
  }
}

export function writeInspectCacheFile(file: string, entries: readonly CachedInspect[]): void {
  writePrivateFile(file, JSON.stringify({ format: FORMAT, entries }));
}

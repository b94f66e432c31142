// The audit store, opened one way: with the events.jsonl mirror the config names, so every event
// recorded (a pass's, the gate's, a locally decided allocation's) reaches the mirror too.
import type { LoadedConfig } from "../config/loaded-config.js";
import { createJsonlSink, openStore, type OpenStoreOptions, type Store } from "../store/index.js";
import type { Logger } from "../util/log.js";

export type AuditStoreOptions = Omit<OpenStoreOptions, "mirror" | "onMirrorError"> & {
  /** Where a failed mirror write is logged (the event is already stored). */
  log: Pick<Logger, "warn">;
};

export function openAuditStore(dir: string, config: Pick<LoadedConfig, "events">, opts: AuditStoreOptions): Store {
  const { log, ...rest } = opts;
  const mirror = config.events.jsonl_path ? createJsonlSink(config.events.jsonl_path) : undefined;
  return openStore(dir, { ...rest, mirror, onMirrorError: (e) => log.warn({ error: String(e) }, "events.jsonl mirror write failed") });
}

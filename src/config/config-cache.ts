// The validated config, kept between one-shot processes: `ds01 check` and `ds01 status` skip reading
// YAML and validating it (and loading the YAML and schema libraries) while no file loadConfig reads
// has changed. The key is the config fingerprint (path, size, mtime, inode and mode of every such
// file) plus this build of ds01 (the compiled file's own stamp), so an edit or an upgrade loads afresh.
// A config that does not load is never kept: loadConfig throws its ConfigError every time.
// Trust and writing: util/private-file.ts (the file lives in the state directory, 0750 root).
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readPrivateFile, writePrivateFile } from "../util/private-file.js";
import { configFingerprint } from "./fingerprint.js";
import type { LoadedConfig } from "./loaded-config.js";

export const CONFIG_CACHE_FILE = "config-cache.json";
const FORMAT = 1;
const MAP_TAG = "__ds01_map";

function buildStamp(): string {
  try {
    const st = statSync(fileURLToPath(import.meta.url));
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return "unknown";
  }
}

/** LoadedConfig as JSON: its two Maps as tagged entry lists (JSON has no undefined; loaders write none). */
export function encodeConfig(config: LoadedConfig): string {
  return JSON.stringify(config, (_k, v: unknown) => (v instanceof Map ? { [MAP_TAG]: [...(v as Map<unknown, unknown>)] } : v));
}

export function decodeConfig(text: string): LoadedConfig {
  return JSON.parse(text, (_k, v: unknown) => (typeof v === "object" && v !== null && MAP_TAG in v && Object.keys(v).length === 1 ? new Map((v as Record<string, [unknown, unknown][]>)[MAP_TAG]) : v)) as LoadedConfig;
}

async function cacheKey(dir: string): Promise<string> {
  return `${FORMAT}\n${buildStamp()}\n${await configFingerprint(dir)}`;
}

function readCache(cacheFile: string, key: string): LoadedConfig | null {
  const text = readPrivateFile(cacheFile);
  if (text === null) return null;
  try {
    const doc = JSON.parse(text) as { key?: unknown; config?: unknown };
    if (doc.key === key && typeof doc.config === "string") return decodeConfig(doc.config);
  } catch {
    /* not a cache of ours: load afresh */
  }
  return null;
}

/** The kept config of `dir` while its files are the ones it was kept with, else null (nothing loaded). */
export async function cachedConfig(dir: string, cacheFile: string): Promise<LoadedConfig | null> {
  return readCache(cacheFile, await cacheKey(dir));
}

/** loadConfig(dir), answered from `cacheFile` while the fingerprint is the one it was kept with. */
export async function loadConfigCached(dir: string, cacheFile: string): Promise<LoadedConfig> {
  const key = await cacheKey(dir);
  const hit = readCache(cacheFile, key);
  if (hit) return hit;
  const { loadConfig } = await import("./load-config.js");
  const config = await loadConfig(dir);
  // Fingerprinted before reading: an edit during the load shows as a different key next time.
  writePrivateFile(cacheFile, JSON.stringify({ key, config: encodeConfig(config) }));
  return config;
}

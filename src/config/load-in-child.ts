// loadConfig(dir) in a short-lived child process: the answer comes back as JSON (config-cache.ts's
// encoding), errors as the same ConfigError / InvalidInputError loadConfig throws. The gate uses it
// at start and on every reload so its own heap never holds the YAML and schema libraries. With a
// cache file, a config kept there for the same files (config-cache.ts) is used without any child.
import { execFile } from "node:child_process";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cachedConfig, decodeConfig } from "./config-cache.js";
import { ConfigError } from "./config-error.js";
import type { LoadedConfig } from "./loaded-config.js";
import type { ConfigProblem } from "./problems.js";
import { InvalidInputError } from "../errors.js";

export interface ChildLoaderOptions {
  /** The child's node arguments before DIR (default: this build's load-config-main.js). */
  args?: readonly string[];
  timeoutMs?: number;
  /** config-cache.ts's file: read here when it matches the files, written by the child otherwise. */
  cacheFile?: string;
}

type Answer = { ok: true; config: string } | { ok: false; dir?: string; details?: ConfigProblem[]; problems?: string[]; error?: string };

/** This build's child: the bundle's own entry when running from the bundle (dist/bundle/), else the module beside this one. */
const defaultArgs = () => {
  const here = dirname(fileURLToPath(import.meta.url));
  return [basename(here) === "bundle" ? join(here, "load-config-main.cjs") : join(here, "load-config-main.js")];
};

export async function loadConfigInChild(dir: string, opts: ChildLoaderOptions = {}): Promise<LoadedConfig> {
  if (opts.cacheFile) {
    const kept = await cachedConfig(dir, opts.cacheFile);
    if (kept) return kept;
  }
  return loadInChild(dir, opts);
}

function loadInChild(dir: string, opts: ChildLoaderOptions): Promise<LoadedConfig> {
  const args = [...(opts.args ?? defaultArgs()), dir, ...(opts.cacheFile ? [opts.cacheFile] : [])];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      let answer: Answer;
      try {
        answer = JSON.parse(stdout) as Answer;
      } catch {
        reject(new Error(`the config loader failed (${err ? err.message : "no answer"}): ${stderr.trim().slice(0, 500)}`));
        return;
      }
      if (answer.ok) resolve(decodeConfig(answer.config));
      else if (answer.details) reject(new ConfigError(answer.dir ?? dir, answer.details));
      else if (answer.problems) reject(new InvalidInputError(answer.problems[0] ?? "invalid config", answer.problems));
      else reject(new Error(answer.error ?? "the config loader failed"));
    });
  });
}

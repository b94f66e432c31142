// Hot reload: a cheap fingerprint of the config files is compared at every scheduler tick; on a
// change the directory is loaded again. A valid config replaces the running one; an invalid one
// is refused (the last good config keeps running) and its FILE:LINE:COL problems are returned.
// Each distinct change is reported once: a broken file is not re-reported on every tick; a load
// that failed for another reason (a loader process that died) is tried again at the next tick.
import { configFingerprint } from "../config/fingerprint.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { formatProblem } from "../config/problems.js";
import { ConfigError } from "../config/config-error.js";
import { InvalidInputError, errorText } from "../errors.js";

export type ReloadOutcome =
  | { kind: "unchanged" }
  | { kind: "reloaded"; config: LoadedConfig; warnings: string[] }
  | { kind: "failed"; problems: string[] };

export interface ConfigReloaderOptions {
  dir: string;
  load?: (dir: string) => Promise<LoadedConfig>;
  fingerprint?: (dir: string) => Promise<string>;
}

export class ConfigReloader {
  private seen: string | null = null;
  private readonly load: (dir: string) => Promise<LoadedConfig>;
  private readonly fingerprint: (dir: string) => Promise<string>;

  constructor(private readonly opts: ConfigReloaderOptions) {
    // The loader (YAML and schemas) only when a change is seen: the gate loads it in a child instead.
    this.load = opts.load ?? (async (dir) => (await import("../config/load-config.js")).loadConfig(dir));
    this.fingerprint = opts.fingerprint ?? configFingerprint;
  }

  /** Remembers the files as they are now (call after the first successful load). */
  async baseline(): Promise<void> {
    this.seen = await this.fingerprint(this.opts.dir);
  }

  async check(): Promise<ReloadOutcome> {
    const now = await this.fingerprint(this.opts.dir);
    if (now === this.seen) return { kind: "unchanged" };
    const before = this.seen;
    this.seen = now;
    try {
      const config = await this.load(this.opts.dir);
      return { kind: "reloaded", config, warnings: config.warnings.map(formatProblem) };
    } catch (e) {
      if (e instanceof ConfigError) return { kind: "failed", problems: [...e.problems] };
      if (e instanceof InvalidInputError) return { kind: "failed", problems: [...e.problems] };
      // Not the files' fault (the loader crashed or timed out): the same files are tried again.
      if (this.seen === now) this.seen = before;
      return { kind: "failed", problems: [errorText(e)] };
    }
  }
}

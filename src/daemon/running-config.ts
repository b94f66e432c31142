// The config the daemon runs on and the pass deps built from it, hot-reloaded: the files are
// checked at the start of every job. A valid edit replaces both at once and the listeners hear of
// it (intervals, /healthz); a refused one leaves the last good config running. Either way the
// outcome is counted, audited and logged.
import type { LoadedConfig } from "../config/loaded-config.js";
import { EVENT, type EventType } from "../constants/event-types.js";
import type { DaemonMetrics } from "../metrics/daemon-metrics.js";
import type { EventStore } from "../model/ports.js";
import type { PassDeps } from "../pass/run-pass.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { ConfigReloader } from "./config-reloader.js";
import { formatListenAddress, type ListenAddress } from "./listen-address.js";
import type { StoreHealth } from "./store-health.js";

export interface ConfigListener {
  /** A valid edit runs now (its pass deps are built); called before the reload is recorded. */
  applied?(config: LoadedConfig): void;
  /** After the reload is recorded: work that should follow the new config at once, not at the next pass. */
  settle?(config: LoadedConfig): Promise<void>;
  /** An edit was refused: the last good config keeps running. */
  refused?(problems: readonly string[]): void;
}

export interface RunningConfigDeps {
  /** The config loaded at start. */
  config: LoadedConfig;
  dir: string;
  clock: Clock;
  log: Logger;
  metrics: Pick<DaemonMetrics, "setPassInterval" | "configReload">;
  storeHealth: Pick<StoreHealth, "attempt">;
  store: Pick<EventStore, "append">;
  buildDeps(config: LoadedConfig): PassDeps;
  /** Where HTTP listens now (a daemon.listen edit takes effect only at a restart). */
  listening(): ListenAddress | null;
  reloader?: Pick<ConfigReloader, "baseline" | "check">;
}

export class RunningConfig {
  private config: LoadedConfig;
  private passDeps: PassDeps | null = null;
  private readonly reloader: Pick<ConfigReloader, "baseline" | "check">;
  private readonly listeners: ConfigListener[] = [];
  private running = false;

  constructor(private readonly d: RunningConfigDeps) {
    this.config = d.config;
    this.reloader = d.reloader ?? new ConfigReloader({ dir: d.dir });
  }

  get current(): LoadedConfig {
    return this.config;
  }

  /** The pass deps of the running config (after start). */
  get deps(): PassDeps {
    if (this.passDeps === null) throw new Error("the daemon's config has not been started");
    return this.passDeps;
  }

  listen(listener: ConfigListener): void {
    this.listeners.push(listener);
  }

  /** Builds the pass deps and remembers the files as they are now. */
  async start(): Promise<void> {
    this.passDeps = this.d.buildDeps(this.config);
    this.d.metrics.setPassInterval(this.config.daemon.pass_interval_s);
    await this.reloader.baseline();
    this.running = true;
  }

  /** No reload is applied from here on. */
  stop(): void {
    this.running = false;
  }

  /** Applies an edit of the config files, if there is one. */
  async check(): Promise<void> {
    if (!this.running) return;
    const out = await this.reloader.check();
    if (out.kind === "unchanged") return;
    const { d } = this;
    if (out.kind === "failed") {
      d.metrics.configReload(false);
      for (const l of this.listeners) l.refused?.(out.problems);
      this.record("recording a failed config reload", EVENT.configReloadFailed, { dir: d.dir, problems: out.problems });
      d.log.error({ dir: d.dir, problems: out.problems }, "config reload failed");
      return;
    }
    const before = this.config;
    this.config = out.config;
    this.passDeps = d.buildDeps(out.config);
    for (const l of this.listeners) l.applied?.(out.config);
    const daemon = out.config.daemon;
    d.metrics.setPassInterval(daemon.pass_interval_s);
    d.metrics.configReload(true);
    this.record("recording the config reload", EVENT.configReloaded, { dir: d.dir, warnings: out.warnings, sample_interval_s: daemon.sample_interval_s, pass_interval_s: daemon.pass_interval_s });
    d.log.info({ dir: d.dir, warnings: out.warnings.length }, "config reloaded");
    for (const l of this.listeners) await l.settle?.(out.config);
    const bound = d.listening();
    if (daemon.listen !== before.daemon.listen) d.log.warn({ listen: daemon.listen, listening: bound ? formatListenAddress(bound) : null }, "daemon.listen changed: takes effect at the next restart");
  }

  /** An audit record outside a pass: a store that cannot take it is a store failure, not the end of the reload. */
  private record(during: string, type: EventType, details: Record<string, unknown>): void {
    const { clock, store } = this.d;
    this.d.storeHealth.attempt(during, () => store.append({ time: clock.now(), type, user: null, container: null, containerId: null, details }));
  }
}

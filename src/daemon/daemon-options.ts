// What the daemon is built from (src/cli/daemon.ts, the composition root, fills it in).
import type { ReservationStore } from "../allocation/reservation-store.js";
import type { UserCgroupWatch } from "../cgroups/daemon-watch.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import type { IdentityOptions } from "../docker/identity.js";
import type { ObservedContainer } from "../model/container.js";
import type { PassDeps } from "../pass/run-pass.js";
import type { Store } from "../store/index.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import type { ListenAddress } from "./listen-address.js";
import type { Timers } from "./timers.js";

export interface DaemonOptions {
  config: LoadedConfig;
  configDir: string;
  store: Store;
  /** Builds the pass dependencies for a config (src/compose/pass-env.ts depsFor in production). */
  makeDeps(config: LoadedConfig, log: Logger): PassDeps;
  /** Overrides config daemon.listen; null = no HTTP endpoint. */
  listen: ListenAddress | null;
  clock: Clock;
  log: Logger;
  version: string;
  timers?: Timers;
  /**
   * Serve allocation requests on this Unix socket, deciding under the reservations' lock. `listAll`
   * (set when the janitor is scoped) lists every container: the broker then decides from it.
   */
  allocation?: { socketPath: string; reservations: ReservationStore; listAll?: ((identity: IdentityOptions) => Promise<ObservedContainer[]>) | null };
  /** The control socket (`ds01 check` asks for a pass there). */
  controlSocketPath?: string;
  /** Users' cgroup parents (aggregate limits, usage, OOM kills), looked after once per pass. */
  cgroupWatch?: Pick<UserCgroupWatch, "pass">;
}

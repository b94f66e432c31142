// What the composition root needs from the process it runs in. The CLI's context is one; lower
// layers take only the part they use (ConfigDirContext, StateDirContext).
import type { ConfigDirContext } from "../config/locate-config-dir.js";
import type { StateDirContext } from "../store/state-dir.js";
import type { Clock } from "../util/clock.js";

export interface HostContext extends ConfigDirContext, StateDirContext {
  clock: Clock;
  /** Notes for the person who ran the command (stderr). */
  err(text: string): void;
}

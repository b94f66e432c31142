// The daemon runs V8's interpreter and baseline compiler only: the optimizing tiers (TurboFan,
// Maglev) are turned off once it has started. Measured at 1,000 containers (bench/daemon.ts): their
// compiler memory and code pages were the largest part of the daemon's growth after a burst of
// container exits (RSS 103 MB with them, 79 MB without; 75 vs 65 MB steady), and the daemon's
// work is I/O-bound (under 1 % of a core either way), so there is nothing for them to speed up.
// Node refuses these flags in NODE_OPTIONS, hence from inside. DS01_V8_OPTIMIZE=1 keeps them.
import { setFlagsFromString } from "node:v8";

/** Turns V8's optimizing compilers off for the rest of this process, unless `env` asks to keep them. */
export function interpreterTiersOnly(env: NodeJS.ProcessEnv): boolean {
  if (env.DS01_V8_OPTIMIZE === "1") return false;
  setFlagsFromString("--no-opt");
  setFlagsFromString("--no-maglev");
  return true;
}

// The daemon asks V8 for memory over speed once it has started: the interpreter and baseline
// compiler only (the optimizing tiers, TurboFan and Maglev, off), and the heap kept small
// (--optimize-for-size: a smaller growth step between full collections). Measured at 1,000
// containers (bench/daemon.ts): with V8's defaults, resident memory rose from ~67 to 118 MB during a
// burst of 20 container exits (their follow-up passes) and over 330 s reached 90 MB; with the
// tiers off, 79 MB over the window; with both, 85 MB at the peak of the burst. The daemon's work
// is I/O-bound (under 1 % of a core either way), so there is nothing for the optimizers to speed
// up. Node refuses these flags in NODE_OPTIONS, hence from inside. DS01_V8_OPTIMIZE=1 keeps V8's
// defaults.
import { setFlagsFromString } from "node:v8";

/** Sets the flags for the rest of this process, unless `env` asks for V8's defaults. */
export function preferMemoryOverSpeed(env: NodeJS.ProcessEnv): boolean {
  if (env.DS01_V8_OPTIMIZE === "1") return false;
  setFlagsFromString("--no-opt");
  setFlagsFromString("--no-maglev");
  setFlagsFromString("--optimize-for-size");
  return true;
}

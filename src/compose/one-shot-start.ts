// The first steps of a one-shot command (`ds01 check`, `ds01 status`, …), taken before it loads the
// rest of itself: the config, validated once per change of its files (config-cache.ts, kept in the
// state directory), and the GPU inventory, whose nvidia-smi runs while the command's modules load.
// Light imports only: everything here runs before the pass's modules are loaded.
import { join } from "node:path";
import { CONFIG_CACHE_FILE, loadConfigCached } from "../config/config-cache.js";
import type { LoadedConfig } from "../config/loaded-config.js";
import { locateConfigDir, type ConfigDirContext } from "../config/locate-config-dir.js";
import type { GpuInventory } from "../model/gpu.js";
import type { GpuProbe } from "../model/ports.js";
import { defaultStateDir, type StateDirContext } from "../store/state-dir.js";
import { gpuProbe } from "./gpu-probe.js";

export interface OneShotStart {
  config: LoadedConfig;
  dir: string;
  /** nvidia-smi per config; its first inventory() is the one already under way. */
  probe: GpuProbe;
}

type StartContext = ConfigDirContext & StateDirContext;

/** The config, validated once per change of its files. */
export async function loadOneShotConfig(ctx: StartContext): Promise<{ config: LoadedConfig; dir: string }> {
  const { dir } = locateConfigDir(ctx);
  return { config: await loadConfigCached(dir, join(defaultStateDir(ctx), CONFIG_CACHE_FILE)), dir };
}

/**
 * A probe whose first inventory() answers with the one started here; every later call (the
 * executor's re-check before a GPU reset, for one) asks nvidia-smi afresh.
 */
export function withEarlyInventory(probe: GpuProbe): GpuProbe {
  let early: Promise<GpuInventory> | null = probe.inventory();
  return {
    inventory: () => {
      const first = early;
      early = null;
      return first ?? probe.inventory();
    },
    sample: () => probe.sample(),
    reset: (uuid) => probe.reset(uuid),
  };
}

export async function startOneShot(ctx: StartContext): Promise<OneShotStart> {
  const { config, dir } = await loadOneShotConfig(ctx);
  return { config, dir, probe: withEarlyInventory(gpuProbe(config, ctx.env)) };
}

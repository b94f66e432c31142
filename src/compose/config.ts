// The config of the long-running processes (the daemon, the gate): loaded and validated now.
// One-shot commands use loadOneShotConfig (one-shot-start.ts), validated once per change.
import type { LoadedConfig } from "../config/loaded-config.js";
import { locateConfigDir, type ConfigDirContext } from "../config/locate-config-dir.js";

export async function loadContextConfig(ctx: ConfigDirContext): Promise<{ config: LoadedConfig; dir: string }> {
  const { dir } = locateConfigDir(ctx);
  const { loadConfig } = await import("../config/load-config.js"); // YAML and schemas: only when needed
  return { config: await loadConfig(dir), dir };
}

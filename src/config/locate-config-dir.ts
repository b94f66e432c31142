// Which config directory a command uses: --config, then $DS01_CONFIG_DIR, then /etc/ds01 (when it holds
// resource-limits.yaml), then the bundled config/default of this package.
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InvalidInputError } from "../errors.js";
import { CONFIG_FILES } from "./loaded-config.js";

export type ConfigDirSource = "flag" | "env" | "system" | "bundled";

/** What the search order reads: --config (null = not given) and the environment. */
export interface ConfigDirContext {
  configDir: string | null;
  env: NodeJS.ProcessEnv;
}

export const SYSTEM_CONFIG_DIR = "/etc/ds01";

/** The package root (the directory with ds01's package.json), found from this module's location. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "ds01") return dir;
      } catch {
        // not ours; keep climbing
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error("cannot find the ds01 package root from " + fileURLToPath(import.meta.url));
}

export function bundledConfigDir(): string {
  return join(packageRoot(), "config", "default");
}

function checkDir(dir: string, how: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvalidInputError(`${how} ${dir}: ${code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? String(e)})`}`);
  }
  if (!isDir) throw new InvalidInputError(`${how} ${dir}: is not a directory`);
  try {
    accessSync(dir, constants.R_OK | constants.X_OK);
  } catch {
    throw new InvalidInputError(`${how} ${dir}: cannot be read (permission denied)`);
  }
}

export function locateConfigDir(ctx: ConfigDirContext, opts: { systemDir?: string } = {}): { dir: string; source: ConfigDirSource } {
  if (ctx.configDir !== null && ctx.configDir !== undefined) {
    const dir = resolve(ctx.configDir);
    checkDir(dir, "--config");
    return { dir, source: "flag" };
  }
  const env = ctx.env.DS01_CONFIG_DIR;
  if (env !== undefined && env !== "") {
    const dir = resolve(env);
    checkDir(dir, "DS01_CONFIG_DIR");
    return { dir, source: "env" };
  }
  const system = opts.systemDir ?? SYSTEM_CONFIG_DIR;
  if (existsSync(join(system, CONFIG_FILES.resourceLimits))) return { dir: system, source: "system" };
  return { dir: bundledConfigDir(), source: "bundled" };
}

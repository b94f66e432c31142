// `node load-config-main.js DIR [CACHE_FILE]`: loads and validates a config directory and prints the
// outcome as one JSON document on stdout (see load-in-child.ts); with CACHE_FILE, a valid config is
// also kept there for the next process (config-cache.ts). The YAML and schema libraries live and die
// with this process, so a long-running process that only needs the result never holds them.
import { encodeConfig, loadConfigCached } from "./config-cache.js";
import { ConfigError } from "./config-error.js";
import { loadConfig } from "./load-config.js";
import { InvalidInputError, errorText } from "../errors.js";

async function main(dir: string | undefined, cacheFile: string | undefined): Promise<string> {
  if (!dir) return JSON.stringify({ ok: false, error: "usage: load-config-main DIR [CACHE_FILE]" });
  try {
    const config = cacheFile ? await loadConfigCached(dir, cacheFile) : await loadConfig(dir);
    return JSON.stringify({ ok: true, config: encodeConfig(config) });
  } catch (e) {
    if (e instanceof ConfigError) return JSON.stringify({ ok: false, dir: e.dir, details: e.details });
    if (e instanceof InvalidInputError) return JSON.stringify({ ok: false, problems: e.problems });
    return JSON.stringify({ ok: false, error: errorText(e) });
  }
}

// No top-level await: the bundle makes this a CommonJS entry.
void main(process.argv[2], process.argv[3]).then((answer) => process.stdout.write(answer));

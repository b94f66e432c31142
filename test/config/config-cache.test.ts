// The config kept between one-shot runs: the same LoadedConfig as loading afresh, and loaded afresh
// after any edit of a file loadConfig reads.
import { appendFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeConfig, encodeConfig, loadConfigCached } from "../../src/config/config-cache.js";
import { loadConfig } from "../../src/config/load-config.js";
import { BUNDLED, FIXTURES, configDir, removeConfigDirs } from "./config-dir.js";

afterAll(removeConfigDirs);

describe("config cache", () => {
  const dirs = [BUNDLED, ...readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(FIXTURES, d.name))];
  it.each(dirs)("%s survives the round trip unchanged", async (dir) => {
    const loaded = await loadConfig(dir).catch(() => null);
    if (loaded === null) return; // a fixture of an invalid config: never cached
    expect(decodeConfig(encodeConfig(loaded))).toStrictEqual(loaded);
  });

  it("answers from the cache until a file changes, then loads afresh", async () => {
    const dir = configDir({}, BUNDLED);
    const state = configDir({});
    const file = join(state, "config-cache.json");
    const first = await loadConfigCached(dir, file);
    // A cache that differs from the files shows whether it was used.
    const doc = JSON.parse((await import("node:fs")).readFileSync(file, "utf8")) as { key: string; config: string };
    writeFileSync(file, JSON.stringify({ key: doc.key, config: doc.config.replace(`"sample_interval_s":${first.daemon.sample_interval_s}`, '"sample_interval_s":7') }), { mode: 0o600 });
    expect((await loadConfigCached(dir, file)).daemon.sample_interval_s).toBe(7);
    appendFileSync(join(dir, "resource-limits.yaml"), "\n# edited\n");
    expect((await loadConfigCached(dir, file)).daemon.sample_interval_s).toBe(first.daemon.sample_interval_s);
  });

  it("an invalid config is never kept: every run reports it", async () => {
    const dir = configDir({ "resource-limits.yaml": "groups: [" });
    const file = join(configDir({}), "config-cache.json");
    await expect(loadConfigCached(dir, file)).rejects.toThrow();
    await expect(loadConfigCached(dir, file)).rejects.toThrow();
  });
});

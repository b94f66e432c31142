// The config loaded in a child process (as the gate does): the same LoadedConfig as loading here,
// and the same ConfigError, with its FILE:LINE:COL problems, for a broken directory.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { loadConfig } from "../../src/config/load-config.js";
import { loadConfigInChild } from "../../src/config/load-in-child.js";
import { BUNDLED, configDir, removeConfigDirs } from "./config-dir.js";

afterAll(removeConfigDirs);

const ROOT = join(import.meta.dirname, "../..");
// The sources run under the TypeScript hook here; the built gate runs dist/config/load-config-main.js.
const args = ["--import", join(ROOT, "test/store/fixtures/register-ts.mjs"), join(ROOT, "src/config/load-config-main.ts")];

describe("loadConfigInChild", () => {
  it("returns what loadConfig returns in this process", async () => {
    const dir = configDir({}, BUNDLED);
    expect(await loadConfigInChild(dir, { args })).toStrictEqual(await loadConfig(dir));
  });

  it("rejects a broken directory with loadConfig's ConfigError and its problems", async () => {
    const dir = configDir({ "resource-limits.yaml": "default_group: student\ngroups:\n  student: {}\ndefaults:\n  max_gpus_per_user: lots\n" });
    const here = await loadConfig(dir).catch((e: unknown) => e);
    const there = await loadConfigInChild(dir, { args }).catch((e: unknown) => e);
    expect(here).toBeInstanceOf(ConfigError);
    expect(there).toBeInstanceOf(ConfigError);
    expect((there as ConfigError).problems).toStrictEqual((here as ConfigError).problems);
    expect((there as ConfigError).problems.join("\n")).toMatch(/resource-limits\.yaml:5:/);
  });

  it("with a cache file, the child keeps the config and the next load needs no child until a file changes", async () => {
    const dir = configDir({}, BUNDLED);
    const cacheFile = join(configDir({}), "config-cache.json");
    const first = await loadConfigInChild(dir, { args, cacheFile });
    const noChild = ["/nonexistent/loader.js"];
    expect(await loadConfigInChild(dir, { args: noChild, cacheFile })).toStrictEqual(first);
    appendFileSync(join(dir, "resource-limits.yaml"), "\n# edited\n");
    await expect(loadConfigInChild(dir, { args: noChild, cacheFile })).rejects.toThrow(/config loader failed/);
  });

  it("a loader that cannot run is an error, not an empty config", async () => {
    await expect(loadConfigInChild(BUNDLED, { args: ["/nonexistent/loader.js"] })).rejects.toThrow(/config loader failed/);
  });
});

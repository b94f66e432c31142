import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundledConfigDir } from "../config/locate-config-dir.js";
import { ConfigReloader } from "./config-reloader.js";

async function configCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ds01-reload-"));
  await cp(bundledConfigDir(), dir, { recursive: true });
  return dir;
}

describe("ConfigReloader (real files)", () => {
  it("reports nothing until a file changes, then the new config once", async () => {
    const dir = await configCopy();
    const r = new ConfigReloader({ dir });
    await r.baseline();
    expect(await r.check()).toEqual({ kind: "unchanged" });
    const file = join(dir, "resource-limits.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace("pass_interval_s: 300", "pass_interval_s: 120"));
    const out = await r.check();
    expect(out.kind).toBe("reloaded");
    if (out.kind === "reloaded") expect(out.config.daemon.pass_interval_s).toBe(120);
    expect(await r.check()).toEqual({ kind: "unchanged" });
  });

  it("refuses a broken edit with FILE:LINE:COL, once, and accepts the fix", async () => {
    const dir = await configCopy();
    const r = new ConfigReloader({ dir });
    await r.baseline();
    const file = join(dir, "resource-limits.yaml");
    const good = await readFile(file, "utf8");
    await writeFile(file, good + "\ndaemon: [unclosed\n");
    const out = await r.check();
    expect(out.kind).toBe("failed");
    if (out.kind === "failed") expect(out.problems.join("\n")).toMatch(new RegExp(`${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: `));
    expect(await r.check()).toEqual({ kind: "unchanged" });
    await writeFile(file, good);
    expect((await r.check()).kind).toBe("reloaded");
  });

  it("a load that failed for another reason than the files (the loader crashed, timed out) is tried again at the next check", async () => {
    const dir = await configCopy();
    let crash = true;
    const r = new ConfigReloader({
      dir,
      load: async (d) => {
        if (crash) throw new Error("the config loader failed (killed)");
        return (await import("../config/load-config.js")).loadConfig(d);
      },
    });
    await r.baseline();
    const file = join(dir, "resource-limits.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace("pass_interval_s: 300", "pass_interval_s: 120"));
    expect(await r.check()).toEqual({ kind: "failed", problems: ["the config loader failed (killed)"] });
    crash = false;
    const out = await r.check();
    expect(out.kind).toBe("reloaded");
    if (out.kind === "reloaded") expect(out.config.daemon.pass_interval_s).toBe(120);
  });
});

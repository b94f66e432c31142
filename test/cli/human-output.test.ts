// What people read: log lines on a terminal, times in event details, config check's error/warning lines.
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detailsSummary } from "../../src/cli/events.js";
import { humanLine, logFormatFor } from "../../src/util/log.js";
import { configDir, removeConfigDirs } from "../config/config-dir.js";
import { runCli } from "../helpers/cli.js";

afterAll(removeConfigDirs);

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "ds01.js");

describe("log lines", () => {
  it("human on a terminal, JSON otherwise, --log-format / DS01_LOG_FORMAT decide when given", () => {
    expect(logFormatFor({}, true)).toBe("human");
    expect(logFormatFor({}, false)).toBe("json");
    expect(logFormatFor({ DS01_LOG_FORMAT: "json" }, true)).toBe("json");
    expect(logFormatFor({ DS01_LOG_FORMAT: "human" }, false)).toBe("human");
    expect(humanLine("warn", "docker list failed", { error: "connect ENOENT", n: 2 })).toBe("ds01: warn: docker list failed (error: connect ENOENT, n: 2)");
  });

  // A real terminal (script(1) gives the command a pty) with Docker unreachable: explain logs a warning.
  it.skipIf(!existsSync(join(ROOT, "dist", "bundle", "main.cjs")))("on a pty: explain's warnings are human lines; --log-format json keeps JSON", () => {
    const state = mkdtempSync(join(tmpdir(), "ds01-tty-"));
    try {
      const run = (extra: string) =>
        spawnSync("script", ["-qec", `node ${BIN} --state-dir ${state} ${extra} explain nosuch`, "/dev/null"], {
          encoding: "utf8",
          env: { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock", DS01_NVIDIA_SMI: "/nonexistent/nvidia-smi", DS01_LOG_FORMAT: "" },
        }).stdout.replace(/\r/g, "");
      const human = run("").split("\n").filter(Boolean);
      expect(human.length).toBeGreaterThan(0);
      for (const l of human) expect(l).toMatch(/^ds01: /);
      expect(human).toContainEqual(expect.stringMatching(/^ds01: warn: docker list failed \(error: /));
      const json = run("--log-format json").split("\n").filter((l) => l.startsWith("{"));
      expect(JSON.parse(json[0]!)).toMatchObject({ level: "warn", msg: "docker list failed" });
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});

describe("ds01 events details", () => {
  it("epoch milliseconds under a time key are shown as times; other numbers stay", () => {
    expect(detailsSummary({ until: 1796164781817, asked_s: 3600, capped: false })).toBe("until=2026-12-01T22:39:41.817Z asked_s=3600 capped=false");
    expect(detailsSummary({ expires_at: 1796164781000, count: 1796164781817 })).toBe("expires_at=2026-12-01T22:39:41Z count=1796164781817");
    expect(detailsSummary({ until: 12 })).toBe("until=12");
  });
});

describe("ds01 config check text", () => {
  it("says error or warning on each line and counts them", async () => {
    const dir = configDir({ "resource-limits.yaml": "defaults:\n  max_runtime_h: -3\n  frob: 1\ngroups:\n  student: {}\n" });
    const r = await runCli(["--config", dir, "config", "check"]);
    expect(r.code).toBe(2);
    const lines = r.err.trimEnd().split("\n");
    expect(lines.filter((l) => / error: defaults\.max_runtime_h: /.test(l))).toHaveLength(1);
    expect(lines.filter((l) => / warning: defaults\.frob: /.test(l))).toHaveLength(1);
    expect(lines.at(-1)).toBe(`config INVALID: ${dir} — 1 error, 1 warning`);
  });
});

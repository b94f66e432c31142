// Config files that are not files, too big, not UTF-8, or huge: each is a clear error naming the file
// (and line), never a hang or a gigabyte read; 16,000 user overrides load in linear time.
import { execFileSync } from "node:child_process";
import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, ROOT } from "../helpers/cli.js";
import { fixedClock } from "../../src/util/clock.js";
import { loadConfig } from "../../src/config/index.js";
import { ConfigError, formatProblem } from "../../src/config/index.js";
import { FIXTURES, configDir, removeConfigDirs } from "./config-dir.js";

afterAll(removeConfigDirs);

const ORIGINAL = join(FIXTURES, "original");
const GROUPS = { "groups/researcher.members": "r1\n" };

function check(dir: string) {
  return runCli(["--config", dir, "config", "check"], { ...ROOT, clock: fixedClock(0) });
}

async function problems(dir: string): Promise<string[]> {
  try {
    await loadConfig(dir);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.details.filter((p) => p.severity === "error").map(formatProblem);
    throw e;
  }
}

describe("files that are not regular files", () => {
  it("a FIFO as a members file is refused at once (no writer ever comes)", { timeout: 15_000 }, async () => {
    const dir = configDir(GROUPS, ORIGINAL);
    execFileSync("mkfifo", [join(dir, "groups", "student.members")]);
    const r = await check(dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${dir}/groups/student.members:1:1: error: groups.student.members: cannot read it: it is a FIFO, not a regular file`);
  });

  it("/dev/urandom as a members file is refused without reading it", async () => {
    const dir = configDir(GROUPS, ORIGINAL);
    symlinkSync("/dev/urandom", join(dir, "groups", "student.members"));
    expect(await problems(dir)).toContain(`${dir}/groups/student.members:1:1: groups.student.members: cannot read it: it is a character device, not a regular file`);
  });

  it("a FIFO as resource-limits.yaml or user-overrides.yaml is refused too", { timeout: 15_000 }, async () => {
    const dir = configDir(GROUPS, ORIGINAL);
    execFileSync("mkfifo", [join(dir, "user-overrides.yaml")]);
    expect((await problems(dir)).join("\n")).toContain(`${dir}/user-overrides.yaml:1:1: (top level): cannot read it: it is a FIFO, not a regular file`);
  });

  it("a file over the size cap is refused with its size", async () => {
    const dir = configDir(GROUPS, ORIGINAL);
    writeFileSync(join(dir, "user-overrides.yaml"), "# " + "x".repeat(9 * 1024 * 1024) + "\n");
    expect((await problems(dir)).join("\n")).toMatch(/user-overrides\.yaml:1:1: .*is 9437187 bytes; a config file may hold at most 8388608/);
  });
});

describe("bytes that are not text", () => {
  it("non-UTF-8 bytes are an error at their line", async () => {
    const dir = configDir(GROUPS, ORIGINAL);
    writeFileSync(join(dir, "groups", "student.members"), Buffer.concat([Buffer.from("s1\ns2\nbad"), Buffer.from([0xff, 0xfe]), Buffer.from("name\n")]));
    expect(await problems(dir)).toContain(`${dir}/groups/student.members:3:4: groups.student.members: not UTF-8 text (byte 0xff); save the file as UTF-8`);
  });

  it("a NUL byte is an error at its line", async () => {
    const dir = configDir(GROUPS, ORIGINAL);
    writeFileSync(join(dir, "groups", "student.members"), "s1\nev\u0000il\n");
    expect(await problems(dir)).toContain(`${dir}/groups/student.members:2:3: groups.student.members: contains a NUL byte`);
  });

  it("a control character in a member name is an error at its line", async () => {
    const dir = configDir(GROUPS, ORIGINAL);
    writeFileSync(join(dir, "groups", "student.members"), "s1\nev\u001b[2Jil\n");
    expect((await problems(dir)).join("\n")).toContain(`${dir}/groups/student.members:2:1: groups.student.members: "ev\\u001b[2Jil" contains a control character`);
  });
});

describe("many user overrides", () => {
  // Today's duplicate-key check is quadratic (minutes for 64,000 entries); linear it is seconds, well
  // inside the suite's per-test timeout.
  it("64,000 overrides load, and a duplicate among them is still reported at its line", async () => {
    const n = 64_000;
    const body = Array.from({ length: n }, (_, i) => `u${i}:\n  max_gpus: 1\n`).join("");
    const dir = configDir({ "user-overrides.yaml": body }, ORIGINAL);
    const c = await loadConfig(dir);
    expect(c.userOverrides.size).toBe(n);
    const dup = configDir({ "user-overrides.yaml": body + "u5:\n  max_gpus: 2\n" }, ORIGINAL);
    expect(await problems(dup)).toEqual([`${dup}/user-overrides.yaml:${2 * n + 1}:1: u5: Map keys must be unique`]);
  });
});

// The command line itself: help for every command, --version, bad input in ds01's words (exit 2),
// one JSON document on failure when --json is asked for, and shell completion from the same tree.
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SPECS, GROUPS, GLOBAL_OPTIONS, type CommandSpec } from "../../src/cli/spec.js";
import { configDir, removeConfigDirs } from "../config/config-dir.js";
import { runCli } from "../helpers/cli.js";

afterAll(removeConfigDirs);

const ROOT = join(import.meta.dirname, "..", "..");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const commands = Object.values(SPECS as Record<string, CommandSpec>);
const jsonCommands = commands.filter((c) => "json" in c.options);

describe("help", () => {
  it.each(commands.map((c) => [c.words.join(" "), c] as const))("ds01 %s --help: exit 0, lists every option and argument", async (_, spec) => {
    for (const flag of ["--help", "-h"]) {
      const r = await runCli([...spec.words, flag]);
      expect(r.code).toBe(0);
      expect(r.err).toBe("");
      expect(r.out).toContain(`Usage: ds01 ${spec.words.join(" ")}`);
      expect(r.out).toContain(spec.summary);
      for (const [name, o] of Object.entries(spec.options)) {
        expect(r.out).toContain(`--${name}${o.type === "string" ? ` <${o.value}>` : ""}`);
        expect(r.out.replace(/\s+/g, " ")).toContain(o.help.replace(/\s+/g, " "));
      }
      for (const a of spec.args ?? []) expect(r.out).toContain(a.name);
    }
    const viaHelp = await runCli(["help", ...spec.words]);
    expect(viaHelp).toEqual(await runCli([...spec.words, "--help"]));
  });

  it.each(Object.keys(GROUPS))("ds01 %s --help lists its subcommands; the bare group is invalid input", async (group) => {
    const r = await runCli([group, "--help"]);
    expect(r.code).toBe(0);
    for (const c of commands.filter((x) => x.words[0] === group)) expect(r.out).toContain(`${c.words[1]} `);
    const bare = await runCli([group]);
    expect(bare.code).toBe(2);
    expect(bare.out).toBe("");
    expect(bare.err).toContain(`Usage: ds01 ${group}`);
  });

  it("ds01 --help and ds01 help: every command and global option, exit 0 on stdout", async () => {
    for (const argv of [["--help"], ["help"], ["--config", "/x", "help"]]) {
      const r = await runCli(argv);
      expect(r.code).toBe(0);
      for (const c of commands) expect(r.out).toContain(`  ${c.words[0]}`);
      for (const name of Object.keys(GLOBAL_OPTIONS)) expect(r.out).toContain(`--${name}`);
      expect(r.out).toContain("Exit codes: 0 success, 1 failure, 2 invalid input");
    }
  });

  it("ds01 alone: the usage on stderr, exit 2", async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toContain("Usage: ds01 [global options] <command> [options]");
  });

  it("--version and -V print package.json's version", async () => {
    for (const flag of ["--version", "-V"]) expect(await runCli([flag])).toEqual({ code: 0, out: `${VERSION}\n`, err: "" });
  });
});

describe("bad input: exit 2, a ds01 message on stderr, nothing on stdout", () => {
  it.each([
    [["--frob", "status"], "ds01: unknown option '--frob'"],
    [["status", "--frob"], "ds01: unknown option '--frob'"],
    [["frob"], "ds01: unknown command 'frob'"],
    [["gpu", "frob"], "ds01: unknown command 'frob'"],
    [["status", "extra"], 'ds01: unexpected argument "extra" (see: ds01 status --help)'],
    [["explain"], "ds01: missing required argument 'container'"],
    [["explain", "a", "b"], 'ds01: unexpected argument "b"'],
    [["events", "--limit"], "ds01: option '--limit <N>' argument missing"],
    [["events", "--limit", "-XYZ"], 'ds01: --limit: "-XYZ" is not a positive whole number'],
    [["events", "--since", "--frob"], 'ds01: --since: "--frob"'],
    [["gpu", "allocate", "--user", "u"], "ds01: --container is required (see: ds01 gpu allocate --help)"],
    [["exempt", "add", "u", "--from", "idle_timeout_h"], "ds01: --reason is required"],
    [["--config", "", "status"], "ds01: --config needs a directory"],
    [["--state-dir=", "events"], "ds01: --state-dir needs a directory"],
    [["--log-format", "xml", "events"], 'ds01: --log-format: "xml" is not human or json'],
    [["completion", "fish"], 'ds01: completion: unknown shell "fish"'],
  ])("ds01 %j", async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toContain(message);
    expect(r.err).not.toMatch(/ambiguous|parseArgs|ERR_/);
  });
});

describe("--json on a failure: one JSON document with an error field", () => {
  it.each(jsonCommands.map((c) => [c.words.join(" "), c] as const))("ds01 %s --json --zzz", async (_, spec) => {
    const r = await runCli([...spec.words, "--json", "--zzz"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toEqual({ error: "unknown option '--zzz'", exit_code: 2 });
    expect(r.err).toContain("ds01: unknown option '--zzz'");
  });

  it("an error thrown by the command becomes the error field", async () => {
    const r = await runCli(["events", "--limit", "0", "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toEqual({ error: '--limit: "0" is not a positive whole number', exit_code: 2 });
  });

  it("--json in a container's command is not ds01's", async () => {
    const r = await runCli(["create", "--user", "u", "--image", "busybox", "--frob", "--", "cat", "--json"]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
  });
});

describe("ds01 completion", () => {
  const script = async (shell: string) => {
    const r = await runCli(["completion", shell]);
    expect(r.code).toBe(0);
    return r.out;
  };
  /** What bash completes for the words typed so far (the last one is being typed). */
  function complete(text: string, words: string[]): string[] {
    const prog = `${text}\nCOMP_WORDS=(ds01 ${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length}; _ds01; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync("bash", ["-c", prog], { encoding: "utf8" }).split("\n").filter(Boolean);
  }

  it("bash: commands, subcommands and each command's options", async () => {
    const text = await script("bash");
    expect(complete(text, [""])).toEqual(expect.arrayContaining(["daemon", "check", "gpu", "config", "--config", "--state-dir", "--version"]));
    expect(complete(text, ["gpu", ""])).toEqual(expect.arrayContaining(["list", "health", "allocate", "release", "status"]));
    expect(complete(text, ["--config", "/etc/ds01", "gpu", "allocate", "--"]).sort()).toEqual(
      [...Object.keys(SPECS["gpu allocate"].options).map((o) => `--${o}`), "--help"].sort(),
    );
    expect(complete(text, ["ev"])).toEqual(["events"]);
    for (const c of commands) expect(complete(text, [...c.words, "--"])).toEqual(expect.arrayContaining(Object.keys(c.options).map((o) => `--${o}`)));
  });

  it("zsh: the bash script behind bashcompinit", async () => {
    const text = await script("zsh");
    expect(text.startsWith("autoload -U +X bashcompinit && bashcompinit\n")).toBe(true);
    expect(text).toContain(await script("bash"));
  });
});

describe("README", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const rows = readme.split("\n").filter((l) => l.startsWith("| `"));
  it.each(commands.map((c) => [c.words.join(" "), c] as const))("the command table has ds01 %s with every option", (words, spec) => {
    const row = rows.find((r) => r.startsWith(`| \`${words} `) || r.startsWith(`| \`${words}\``) || r.includes(`· \`${words} `));
    expect(row, words).toBeDefined();
    for (const name of Object.keys(spec.options)) expect(row, `${words} --${name}`).toContain(`--${name}`);
  });
});

describe("--json when the command itself fails: still one document", () => {
  // Arguments each command needs to get past the command line.
  const needs: Record<string, string[]> = {
    explain: ["c1"],
    "config resolve": ["alice"],
    "gpu allocate": ["--user", "alice", "--container", "c1"],
    "gpu release": ["--container", "c1"],
    create: ["--user", "alice", "--image", "busybox"],
    keepalive: ["c1"],
    install: ["--dry-run", "--prefix", "/nonexistent/ds01-prefix"],
    events: [],
  };
  const env = { DOCKER_HOST: "unix:///nonexistent/docker.sock", DS01_NVIDIA_SMI: "/nonexistent/nvidia-smi", HOME: "/nonexistent/home" };
  it.each(jsonCommands.map((c) => [c.words.join(" "), c] as const))("ds01 %s --json with a missing config dir, state dir and engine", async (words, spec) => {
    const r = await runCli(["--config", "/nonexistent/ds01-config", "--state-dir", "/nonexistent/ds01-state", ...spec.words, ...(needs[words] ?? []), "--json"], { env, uid: 0, userName: "root" });
    const doc = JSON.parse(r.out) as { error?: string; exit_code?: number };
    if (r.code === 0) expect(doc.error).toBeUndefined();
    else expect(doc.error, r.err).toEqual(expect.any(String));
  });
});

describe("small truths", () => {
  it("config resolve and exempt refuse a name that is no user name", async () => {
    const r = await runCli(["config", "resolve", "bad user!"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe('ds01: USER "bad user!": not a valid user name\n');
    expect((await runCli(["exempt", "remove", "-x"])).code).toBe(2);
  });

  it.each([
    ["/proc/ds01-nope", "this file system does not allow it"],
    ["/sys/ds01-nope", "not permitted here|permission denied"],
    ["/etc/passwd/ds01", "a part of the path is not a directory"],
  ])("--state-dir %s: exit 2 with a plain reason, no errno text, no hang", async (dir, why) => {
    const r = await runCli(["--state-dir", dir, "gpu", "release", "--container", "x", "--user", "u"], { uid: 0, userName: "root" });
    expect(r.code).toBe(2);
    expect(r.err).toContain(`ds01: state directory ${dir}: cannot create`);
    expect(r.err).toMatch(new RegExp(why));
    expect(r.err).not.toMatch(/EPERM|ENOENT|ENOTDIR/);
  });
});

describe("gpu.expected in the config", () => {
  it("takes true, false or auto; anything else is an error naming the key", async () => {
    for (const v of ["true", "false", "auto"]) {
      const ok = await runCli(["--config", configDir({ "resource-limits.yaml": `default_group: s\ngroups:\n  s: {}\ngpu:\n  expected: ${v}\n` }), "config", "check"]);
      expect(ok.code, ok.err).toBe(0);
    }
    const dir = configDir({ "resource-limits.yaml": "default_group: s\ngroups:\n  s: {}\ngpu:\n  expected: maybe\n" });
    const bad = await runCli(["--config", dir, "config", "check"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`${dir}/resource-limits.yaml:5:13: error: gpu.expected: expected true, false or auto, got "maybe"`);
  });
});

describe("a reader that goes away", () => {
  it("`ds01 --help | head -1` ends quietly, without an EPIPE trace", async () => {
    const { execFileWithTimeout } = await import("../../src/util/exec.js");
    const bin = new URL("../../bin/ds01.js", import.meta.url).pathname;
    const r = await execFileWithTimeout("sh", ["-c", `'${process.execPath}' '${bin}' --help | head -c 10 >/dev/null; '${process.execPath}' '${bin}' help gate | head -c 1 >/dev/null`], { timeoutMs: 30_000 });
    expect(r.stderr.toString()).not.toMatch(/EPIPE|Unhandled/);
    expect(r.code).toBe(0);
  });
});

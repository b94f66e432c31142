// `ds01 gate` from bin/ds01.js: a plain command line runs the gate's own entry, which does not load
// the command-line library; its errors and exit codes are those of the full command line.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { BUNDLED } from "../config/config-dir.js";
import { ROOT, runCli } from "../helpers/cli.js";

const BIN = join(import.meta.dirname, "../../bin/ds01.js");
const RECORD_IMPORTS = join(import.meta.dirname, "../gate/fixtures/record-imports.mjs");
const tmp = mkdtempSync(join(tmpdir(), "ds01-gate-entry-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** bin/ds01.js as root, and the files it loaded. */
async function launch(argv: string[]): Promise<{ code: number | null; err: string; loaded: string[] }> {
  const imports = join(tmp, `imports-${++n}.txt`);
  const env = { ...process.env, NODE_OPTIONS: `--import ${RECORD_IMPORTS}`, DS01_TEST_IMPORTS_FILE: imports };
  const r = await execFileWithTimeout(process.execPath, [BIN, ...argv], { timeoutMs: 30_000, env });
  let loaded: string[] = [];
  try {
    loaded = readFileSync(imports, "utf8").trim().split("\n").map((l) => l.split(" ")[1]!);
  } catch {
    // nothing recorded
  }
  return { code: r.code, err: r.stderr.toString("utf8"), loaded };
}

/** Files that hold commander's code (its own modules, or the bundle's chunk that carries it). */
const commander = (url: string) => url.startsWith("file://") && /CommanderError/.test(readFileSync(new URL(url), "utf8"));

it("a plain command line runs the gate's own entry, without commander, with the full command line's message and exit code", async () => {
  const argv = ["gate", "--socket", "relative.sock"];
  const r = await launch(argv);
  expect(r.loaded.some((u) => u.endsWith("/dist/bundle/gate-main.cjs"))).toBe(true);
  expect(r.loaded.filter(commander)).toEqual([]);
  const full = await runCli(argv, ROOT);
  expect(full.code).toBe(2);
  expect({ code: r.code, err: r.err }).toEqual({ code: full.code, err: full.err });
});

it("the gate's own entry reads the global options (the config's and the state directory) and reports a refusal with exit 2", async () => {
  const same = join(tmp, "same.sock");
  const r = await launch(["--config", BUNDLED, "--state-dir", join(tmp, "state"), "gate", `--socket=${same}`, `--engine=${same}`]);
  expect(r.loaded.filter(commander)).toEqual([]);
  expect(r.err).toBe(`ds01: the gate's socket and the engine's socket are both ${same}; move dockerd to its own socket (ds01 install --gate)\n`);
  expect(r.code).toBe(2);
});

it.each([[["gate", "--bogus"]], [["gate", "extra"]], [["--log-format", "xml", "gate"]]])("%j: the full command line reports it (exit 2)", async (argv) => {
  const r = await launch(argv);
  expect(r.loaded.some(commander)).toBe(true);
  expect(r.code).toBe(2);
  expect(r.err).toBe((await runCli(argv, ROOT)).err);
});

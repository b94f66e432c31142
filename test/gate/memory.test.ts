// What the gate keeps loaded: the config's YAML and schema libraries (zod, yaml) and the broker's
// schema are loaded only in the short-lived child that validates the config, never in the gate;
// commander neither (the gate's own entry, src/cli/gate-main.ts).
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureTestUsers, startGate, type GateProcess } from "./gate-harness.js";

const imports = join(tmpdir(), `ds01-gate-imports-${process.pid}.txt`);
let gate: GateProcess;

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate({ env: { NODE_OPTIONS: `--import ${join(import.meta.dirname, "fixtures/record-imports.mjs")}`, DS01_TEST_IMPORTS_FILE: imports } });
}, 60_000);

afterAll(async () => {
  await gate?.stop();
  rmSync(imports, { force: true });
});

/** Files that hold zod's or yaml's code (their own modules, or the bundle's chunks that carry them). */
const heavy = (url: string) => {
  if (!url.startsWith("file://")) return false;
  try {
    return /ZodError|YAMLParseError/.test(readFileSync(new URL(url), "utf8"));
  } catch {
    return false;
  }
};

/** Files that hold commander's code (its own modules, or the bundle's chunk that carries it). */
const commander = (url: string) => url.startsWith("file://") && /CommanderError/.test(readFileSync(new URL(url), "utf8"));

it("zod and yaml are loaded by the config child only, not by the gate; nor is the command-line library", () => {
  const lines = readFileSync(imports, "utf8").trim().split("\n").map((l) => l.split(" ") as [string, string]);
  const gatePid = String(gate.child.pid);
  const inGate = [...new Set(lines.filter(([pid]) => pid === gatePid).map(([, url]) => url))];
  const inChildren = [...new Set(lines.filter(([pid]) => pid !== gatePid).map(([, url]) => url))];
  expect(inGate.some((u) => /\/dist\/(cli\/gate\.js|bundle\/gate-[^/]*\.cjs)$/.test(u))).toBe(true); // the gate's own module was seen
  expect(inGate.filter(heavy)).toEqual([]);
  expect(inGate.filter(commander)).toEqual([]);
  expect(inGate.filter((u) => /(broker\/protocol\.js|\/protocol-[^/]*\.cjs)$/.test(u))).toEqual([]);
  expect(inChildren.some(heavy)).toBe(true); // the child did load them
});

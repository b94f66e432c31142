// What the gate keeps loaded: the config's YAML and schema libraries (zod, yaml) and the broker's
// schema are loaded only in the short-lived child that validates the config, never in the gate.
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

it("zod and yaml are loaded by the config child only, not by the gate", () => {
  const lines = readFileSync(imports, "utf8").trim().split("\n").map((l) => l.split(" ") as [string, string]);
  const gatePid = String(gate.child.pid);
  const inGate = lines.filter(([pid]) => pid === gatePid).map(([, url]) => url);
  const inChildren = lines.filter(([pid]) => pid !== gatePid).map(([, url]) => url);
  expect(inGate.some((u) => u.endsWith("/dist/cli/gate.js"))).toBe(true);
  expect(inGate.filter((u) => /\/node_modules\/(zod|yaml)\//.test(u))).toEqual([]);
  expect(inGate.filter((u) => /broker\/protocol\.js$/.test(u))).toEqual([]);
  expect(inChildren.some((u) => /\/node_modules\/yaml\//.test(u))).toBe(true); // the child did load them
});

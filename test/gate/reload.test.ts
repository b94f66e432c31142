// The gate's config reload: a broken edit is refused and the last good config keeps serving; a
// good edit applies to the next request, without a restart.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { asUser, ensureTestUsers, removeRunContainers, startGate, type GateProcess } from "./gate-harness.js";

const runId = newRunId("gate-reload");
let gate: GateProcess;
let aliceC = "";

const docker = (user: string, args: string) => asUser(user, `docker ${args}`, gate.env());

async function waitFor(what: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error(`timed out; gate log:\n${gate.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate();
  const a = await docker("ds01gt-alice", `run -d --label ds01.test.run=${runId} ${TEST_IMAGE} sleep 600`);
  expect(a.code, a.stderr).toBe(0);
  aliceC = a.stdout.trim();
}, 120_000);

afterAll(async () => {
  await removeRunContainers(runId);
  await gate?.stop();
}, 60_000);

const bobSees = async () => (await docker("ds01gt-bob", `ps -q --no-trunc --filter label=ds01.test.run=${runId}`)).stdout.trim();

it("keeps the last good config on a broken edit, and applies a good one", async () => {
  expect(await bobSees()).toBe("");
  const file = join(gate.configDir, "resource-limits.yaml");
  const good = readFileSync(file, "utf8");

  writeFileSync(file, `${good}\ngate_typo: [unclosed\n`);
  gate.child.kill("SIGHUP");
  await waitFor(() => gate.log().includes("config reload refused"));
  expect(gate.log()).toMatch(/resource-limits.yaml:\d+:\d+/);
  const still = await docker("ds01gt-alice", `ps -q --no-trunc --filter label=ds01.test.run=${runId}`);
  expect(still.stdout.trim()).toBe(aliceC); // the gate still serves, with the old rules
  expect(await bobSees()).toBe("");

  writeFileSync(file, good.replace("\ngate:\n", "\ngate:\n  show_all_containers: true\n"));
  gate.child.kill("SIGHUP");
  await waitFor(() => gate.log().includes("gate: config reloaded"));
  expect(await bobSees()).toBe(aliceC);
  // Transparency is read-only: bob still cannot touch it.
  const stop = await docker("ds01gt-bob", `stop ${aliceC}`);
  expect(stop.stderr).toMatch(/ds01: .*not your container/);
}, 120_000);

// The gate's store fails under it (its disk is full): a create whose owner record cannot be
// written is not handed out — the client is told why, the container is removed again — and the
// gate goes on serving; once there is room, creates are recorded again.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { canMountTmpfs, fillUp, mountTmpfs, type Tmpfs } from "../helpers/tmpfs.js";
import { asUser, ensureTestUsers, removeRunContainers, startGate, type GateProcess } from "./gate-harness.js";

const runId = newRunId("gate-store-failure");
const USER = "ds01gt-alice";
let gate: GateProcess | null = null;
let fs: Tmpfs | null = null;
const usable = canMountTmpfs();

const docker = (args: string) => asUser(USER, `docker ${args}`, gate!.env());
/** The run's containers, as root sees them on the engine. */
const runContainers = async () => (await promisify(execFile)("docker", ["ps", "-aq", "--filter", `label=ds01.test.run=${runId}`], { timeout: 30_000 })).stdout.split("\n").filter(Boolean);

beforeAll(async () => {
  if (!usable) return;
  await ensureTestUsers();
  fs = mountTmpfs(mkdtempSync(join(tmpdir(), "ds01-gate-state-")), 4);
  gate = await startGate({ stateDir: fs.dir });
}, 120_000);

afterAll(async () => {
  await removeRunContainers(runId);
  await gate?.stop();
  if (fs) {
    fs.unmount();
    rmSync(fs.dir, { recursive: true, force: true });
  }
}, 60_000);

it.skipIf(!usable)("refuses to hand out a container it cannot record, removes it, and keeps serving", async () => {
  const first = await docker(`create --label ds01.test.run=${runId} ${TEST_IMAGE} true`);
  expect(first.code, first.stderr).toBe(0);
  expect(await runContainers()).toHaveLength(1);

  const filler = join(fs!.dir, "filler");
  fillUp(filler);
  const refused = await docker(`create --label ds01.test.run=${runId} ${TEST_IMAGE} true`);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(/ds01: .*could not be recorded.*removed again/);
  expect(gate!.child.exitCode).toBeNull(); // still up
  expect(await runContainers()).toHaveLength(1); // the unrecorded one is gone
  expect((await docker("version --format '{{.Server.Version}}'")).code).toBe(0);

  rmSync(filler);
  const again = await docker(`create --label ds01.test.run=${runId} ${TEST_IMAGE} true`);
  expect(again.code, again.stderr).toBe(0);
  expect(await runContainers()).toHaveLength(2);
  // Its owner record holds: alice may remove it, as hers.
  expect((await docker(`rm ${again.stdout.trim()}`)).code).toBe(0);
}, 120_000);

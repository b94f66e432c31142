// A copy or export locks its container in dockerd for as long as it runs, and every inspect of that
// container (the daemon's passes too) waits for the lock. Through the gate, a client that stops
// reading a copy's answer, or stops sending the rest of an upload, is cut off after
// gate.stall_timeout_s (4 s here): the container's inspect answers again while the stalled client
// is still there, and the cut is audited. So is one that trickles, never quite stopping, below
// gate.stall_min_rate_kib_s (64 KiB/s, the default). A copy that keeps moving is not touched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { newRunId } from "../helpers/containers.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { auditEvents } from "../daemon/daemon-process.js";
import { asUser, ensureTestUsers, removeRunContainers, startGate, type GateProcess } from "./gate-harness.js";

const ALICE = "ds01gt-alice";
const runId = newRunId("gate-stall");
const L = `--label ds01.test.run=${runId}`;
let gate: GateProcess;
let c = "";

const docker = (args: string, timeoutMs = 60_000) => asUser(ALICE, `docker ${args}`, gate.env(), timeoutMs);

/** Starts `command` as alice and says whether it is still running. */
function background(command: string, timeoutMs: number): { running(): boolean; done: Promise<unknown> } {
  let running = true;
  const done = asUser(ALICE, command, gate.env(), timeoutMs).finally(() => (running = false));
  return { running: () => running, done };
}

/** The container's inspect, direct to dockerd (as the daemon's pass makes it), bounded. */
const inspectDirect = () => execFileWithTimeout("docker", ["inspect", "--format", "{{.State.Running}}", c], { timeoutMs: 15_000 });

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate({ gateKeys: "  stall_timeout_s: 4\n" });
  const r = await docker(`run -d ${L} ${TEST_IMAGE} sh -c 'dd if=/dev/zero of=/tmp/big bs=1048576 count=64 2>/dev/null; touch /tmp/ready; sleep 3600'`);
  expect(r.code, r.stderr).toBe(0);
  c = r.stdout.trim();
  for (let i = 0; i < 100 && (await docker(`exec ${c} ls /tmp/ready`)).code !== 0; i++) await new Promise((res) => setTimeout(res, 200));
}, 120_000);

afterAll(async () => {
  await removeRunContainers(runId);
  await gate?.stop();
}, 60_000);

describe("a copy held up by its client", () => {
  it("a copy that keeps moving is not cut off", async () => {
    const r = await asUser(ALICE, `docker cp ${c}:/tmp/big - | wc -c`, gate.env(), 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(Number(r.stdout.trim())).toBeGreaterThan(64 * 1024 * 1024);
  });

  it("a download whose reader stops is cut off: the container's inspect answers while the reader still waits", async () => {
    const stalled = background(`docker cp ${c}:/tmp/big - | sleep 40`, 60_000);
    await new Promise((r) => setTimeout(r, 1000)); // the copy is under way and stuck
    const inspect = await inspectDirect();
    expect(inspect.code, inspect.stderr.toString()).toBe(0);
    expect(inspect.stdout.toString().trim()).toBe("true");
    expect(stalled.running()).toBe(true);
    const cut = auditEvents(gate.stateDir, "gate.stalled").filter((e) => e.user === ALICE);
    expect(cut.length).toBeGreaterThanOrEqual(1);
    expect(String(cut[0]!.details.target)).toMatch(new RegExp(`/containers/${c}/archive`));
  }, 90_000);

  it("an upload that stops sending is cut off: the container's inspect answers while the sender still waits", async () => {
    const before = auditEvents(gate.stateDir, "gate.stalled").length;
    // A tar stream whose first 10 KiB arrive, then nothing for 40 s.
    const stalled = background(`(tar -C /etc -cf - passwd group hostname | head -c 10240; sleep 40) | docker cp - ${c}:/tmp`, 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    const inspect = await inspectDirect();
    expect(inspect.code, inspect.stderr.toString()).toBe(0);
    expect(stalled.running()).toBe(true);
    expect(auditEvents(gate.stateDir, "gate.stalled").length).toBeGreaterThan(before);
  }, 90_000);

  it("an upload that trickles, a byte a second (never 4 s without one), is cut off for its rate: the inspect answers while it still trickles", async () => {
    const before = auditEvents(gate.stateDir, "gate.stalled").length;
    const stalled = background(`(tar -C /etc -cf - passwd group hostname | head -c 10240; for i in $(seq 40); do sleep 1; printf x; done) | docker cp - ${c}:/tmp`, 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    const inspect = await inspectDirect();
    expect(inspect.code, inspect.stderr.toString()).toBe(0);
    expect(stalled.running()).toBe(true);
    const cut = auditEvents(gate.stateDir, "gate.stalled").slice(before);
    expect(cut.map((e) => e.details.cause)).toContain("trickle");
    expect(Number(cut.find((e) => e.details.cause === "trickle")!.details.needed_bytes)).toBe(4 * 64 * 1024);
  }, 90_000);
});

describe("a copy pipelined behind an answer that does not end (review 2026-12-03)", () => {
  it("does not hold the container: a copy queued behind `GET /events` on one connection reaches dockerd only once its answer is next", async () => {
    // One connection: events (an answer that never ends), then the copy. Forwarded at once, the
    // copy's answer waited in the gate behind the events stream, unwatched, and dockerd, writing it,
    // kept the container locked (after the client left too).
    const client = [
      "const net = require('net');",
      "const s = net.connect(process.env.DOCKER_HOST.replace('unix://', ''));",
      "s.on('connect', () => s.write(",
      "  'GET /v1.41/events HTTP/1.1\\r\\nHost: d\\r\\n\\r\\n' +",
      `  'GET /v1.41/containers/${c}/archive?path=/tmp/big HTTP/1.1\\r\\nHost: d\\r\\n\\r\\n'));`,
      "s.on('data', () => undefined);",
      "setTimeout(() => process.exit(0), 30000);",
    ].join("\n");
    const held = background(`node -e "${client.replace(/"/g, '\\"')}"`, 60_000);
    await new Promise((r) => setTimeout(r, 6000)); // three stall timeouts
    expect(held.running()).toBe(true);
    const inspect = await inspectDirect();
    expect(inspect.code, `inspect waited on the container's lock: ${inspect.stderr.toString()}`).toBe(0);
    expect(inspect.stdout.toString().trim()).toBe("true");
  }, 90_000);
});

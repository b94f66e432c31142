// One user cannot have the gate to themselves: past gate.max_requests_per_s (here 2, bursts of 4)
// their requests wait a moment, then are answered 429 with what to do; another user, and an admin,
// are served meanwhile; the refusals are audited once, not once each.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { auditEvents } from "../daemon/daemon-process.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { asUser, ensureTestUsers, startGate, type GateProcess } from "./gate-harness.js";

let gate: GateProcess;
const BURST = join(import.meta.dirname, "fixtures/burst.mjs");

interface Burst {
  statuses: number[];
  refusal: { body: string; retryAfter: string | null } | null;
}

async function burst(user: string | null, n: number): Promise<Burst> {
  const args = [BURST, gate.socket, "/_ping", String(n)];
  const r = user ? await asUser(user, `${process.execPath} ${args.join(" ")}`, {}, 60_000) : await execFileWithTimeout(process.execPath, args, { timeoutMs: 60_000 });
  expect(r.code, r.stderr.toString()).toBe(0);
  return JSON.parse(r.stdout.toString()) as Burst;
}
const count = (b: Burst, status: number) => b.statuses.filter((s) => s === status).length;

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate({ gateKeys: "  max_requests_per_s: 2\n" });
}, 120_000);

afterAll(async () => {
  await gate?.stop();
}, 60_000);

it("a user's flood is held to the rate and refused with 429 past it; others are served; one audit record", async () => {
  const alice = await burst("ds01gt-alice", 40);
  // The burst (4) at once, a few more after waiting their turn (at most a second), the rest refused.
  expect(count(alice, 200)).toBeGreaterThanOrEqual(4);
  expect(count(alice, 429)).toBeGreaterThanOrEqual(20);
  expect(count(alice, 200) + count(alice, 429)).toBe(40);
  expect(JSON.parse(alice.refusal!.body).message).toMatch(/^ds01: you are sending more than 2 requests a second to Docker \(gate\.max_requests_per_s\).*slow down/);
  expect(alice.refusal!.retryAfter).toBe("1");
  // Alice's share is spent; Bob's is his own, and root (an admin) is never held.
  expect((await burst("ds01gt-bob", 3)).statuses).toEqual([200, 200, 200]);
  expect(count(await burst(null, 40), 200)).toBe(40);
  const records = auditEvents(gate.stateDir, "gate.denied").filter((e) => e.details.throttled === true);
  expect(records).toHaveLength(1);
  expect(records[0]!.user).toBe("ds01gt-alice");
}, 90_000);

// One user cannot hold every connection of the gate: past gate.max_connections_per_user a new
// connection is answered 429 with what to do; once a stream ends, the next one is served.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { auditEvents } from "../daemon/daemon-process.js";
import { asUser, ensureTestUsers, startGate, type GateProcess } from "./gate-harness.js";

let gate: GateProcess;

beforeAll(async () => {
  await ensureTestUsers();
  gate = await startGate({ gateKeys: "  max_connections_per_user: 4\n" });
}, 120_000);

afterAll(async () => {
  await gate?.stop();
}, 60_000);

it("a user past the connection cap is refused with 429 and what to do; a freed connection is served", async () => {
  const r = await asUser("ds01gt-alice", `${process.execPath} ${join(import.meta.dirname, "fixtures/hold-streams.mjs")} ${gate.socket} 4`, {}, 60_000);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { held: number[]; over: { status: number; body: string }; afterClose: { status: number; body: string } };
  expect(out.held).toEqual([200, 200, 200, 200]);
  expect(out.over.status).toBe(429);
  expect(JSON.parse(out.over.body).message).toMatch(/^ds01: you hold 4 connections to Docker and may hold 4 \(gate\.max_connections_per_user\); end some streams/);
  expect(out.afterClose).toEqual({ status: 200, body: "OK" });
  expect(auditEvents(gate.stateDir, "gate.denied").some((e) => String(e.details.reason).includes("max_connections_per_user"))).toBe(true);
}, 90_000);

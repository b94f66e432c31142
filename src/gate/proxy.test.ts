// forwardHttp between a client and a stand-in for dockerd: a create whose client goes away before
// dockerd answers is still seen through to dockerd's answer, so the gate learns what was created
// (and records it, confirms its GPUs); other requests are cut upstream when their client goes.
import { Agent, createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { Decision } from "./decide.js";
import { forwardHttp } from "./proxy.js";

type Forward = Extract<Decision, { action: "forward" }>;
let dir = "";
const servers: Server[] = [];
const agents: Agent[] = [];
const listen = (s: Server, path: string) => new Promise<void>((r) => s.listen(path, r));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ds01-proxy-"));
});
afterEach(async () => {
  agents.splice(0).forEach((a) => a.destroy());
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
  rmSync(dir, { recursive: true, force: true });
});

/** dockerd's stand-in answers after 150 ms; the client sends its request and goes away after 30 ms. */
async function hangUpBeforeTheAnswer(d: Forward): Promise<{ engine: { aborted: boolean; answered: boolean }; answers: number[] }> {
  const engine = { aborted: false, answered: false };
  const engineServer = createServer((req, res) => {
    req.resume();
    req.on("end", () =>
      setTimeout(() => {
        engine.answered = !res.destroyed;
        res.writeHead(201, { "Content-Type": "application/json" }).end('{"Id":"abc123","Warnings":[]}');
      }, 150),
    );
    res.on("close", () => (engine.aborted = !res.writableFinished));
  });
  servers.push(engineServer);
  await listen(engineServer, join(dir, "engine.sock"));
  const agent = new Agent({ keepAlive: true });
  agents.push(agent);
  const answers: number[] = [];
  let seen: () => void = () => undefined;
  const settled = new Promise<void>((r) => (seen = r));
  const gate = createServer((req, res) =>
    forwardHttp(req, res, d, {
      engineSocket: join(dir, "engine.sock"),
      agent,
      onEngineError: () => (answers.push(502), seen()),
      onAnswer: (status) => (answers.push(status), seen()),
    }),
  );
  servers.push(gate);
  await listen(gate, join(dir, "gate.sock"));
  const body = '{"Image":"x"}';
  const client = connect(join(dir, "gate.sock"));
  client.on("error", () => undefined);
  client.write(`POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  setTimeout(() => client.destroy(), 30);
  await Promise.race([settled, new Promise((r) => setTimeout(r, 2000))]);
  await new Promise((r) => setTimeout(r, 50));
  return { engine, answers };
}

it("sees a create through to dockerd's answer when its client hangs up first", async () => {
  const r = await hangUpBeforeTheAnswer({ action: "forward", created: (status, body) => (status === 201 ? { kind: "container", id: JSON.parse(body.toString()).Id as string, name: "" } : null) });
  expect(r.engine.aborted).toBe(false);
  expect(r.answers).toEqual([201]);
});

it("cuts a request upstream when its client hangs up (not a create)", async () => {
  const r = await hangUpBeforeTheAnswer({ action: "forward" });
  expect(r.engine.aborted).toBe(true);
  expect(r.answers).toEqual([502]);
});

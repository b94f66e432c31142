// A ds01 pass killed (SIGKILL) after one warning was recorded and while the next is being delivered:
// a rerun repeats no warning and loses none. Real `ds01 check` child process, real containers.
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { useTestContainers } from "../helpers/containers.js";
import { gpuUuid } from "../helpers/fake-gpus.js";
import { LIFECYCLE_CONFIG, lifecycleEnv } from "../helpers/lifecycle-env.js";
import { LABEL } from "../../src/constants/labels.js";

const tc = useTestContainers("lc-crash");
const BIN = fileURLToPath(new URL("../../bin/ds01.js", import.meta.url));

// Real seconds this time (the child has the real clock): a 3.6 s idle timeout, window 1, no lead.
const config = (webhook: string) =>
  LIFECYCLE_CONFIG.replace("idle_detection_window: 2", "idle_detection_window: 1")
    .replace("min_warning_lead_m: 5", "min_warning_lead_m: 0")
    .replace("docker: { idle_timeout_h: 1,", "docker: { idle_timeout_h: 0.001,") + `notifications:\n  webhook_url: ${webhook}\n  webhook_timeout_s: 30\n`;

const pending: ServerResponse[] = [];
let posts = 0;
let hangAfter = 1;
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  req.resume();
  req.on("end", () => {
    posts += 1;
    if (posts > hangAfter) pending.push(res); // delivery of the next warning never completes
    else res.end("ok");
  });
});
afterAll(() => {
  pending.forEach((r) => r.destroy());
  server.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("crash in the middle of a pass", () => {
  it("a SIGKILL after a recorded warning neither repeats it nor loses the next", async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const env = await lifecycleEnv({ runId: tc.runId, config: config(url) });
    const a = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(0)] });
    const b = await tc.create({ labels: { "ds01.user": "alice" }, gpus: [gpuUuid(1)] });
    hangAfter = 1000;
    await env.check(); // first idle observation of both
    await sleep(3200); // past 80 % of 3.6 s
    hangAfter = posts + 1;

    const child = spawn(process.execPath, [BIN, "--config", env.configDir, "--state-dir", env.stateDir, "check"], {
      env: { ...process.env, ...env.gpus.env, DS01_SCOPE_LABEL: `${LABEL.testRun}=${tc.runId}` },
      stdio: "ignore",
    });
    const exited = new Promise((r) => child.on("exit", r));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(env.events("container.idle_warning").length === 1 && pending.length === 1)) await sleep(100);
    expect(env.events("container.idle_warning")).toHaveLength(1);
    child.kill("SIGKILL");
    await exited;
    const warnedFirst = env.events("container.idle_warning")[0]!.containerId;

    hangAfter = Infinity;
    const { report } = await env.check();
    const warnings = env.events("container.idle_warning");
    expect(warnings.map((e) => e.containerId).sort()).toEqual([a.id, b.id].sort()); // one each, none repeated
    const again = report.actions.filter((x) => x.container_id === warnedFirst).map((x) => x.kind);
    expect(again).not.toContain("warn");
  });
});

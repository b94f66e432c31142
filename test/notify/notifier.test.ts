// The composed Notifier on real things: utmp + terminal files, a real container for the fallback
// file, a loopback HTTP server for the webhooks and a loopback SMTP server for e-mail.
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LABEL } from "../../src/constants/labels.js";
import { DockerRuntime } from "../../src/docker/docker-runtime.js";
import type { Notice } from "../../src/model/notice.js";
import { createNotifier, type NotificationSettings } from "../../src/notify/notifier.js";
import { encodeUtmpRecord } from "../../src/notify/utmp.js";
import { fixedClock } from "../../src/util/clock.js";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { TEST_IMAGE } from "../helpers/docker-env.js";
import { startSmtp, type FakeSmtp } from "./fake-smtp.js";

const RUN = `notify-notifier-${process.pid}`;
const ALICE = 52001;
const runtime = new DockerRuntime();
const clock = fixedClock(Date.UTC(2025, 2, 1, 12, 0, 0));

let dir: string;
let ttyOpts: { utmpPath: string; devRoot: string; passwdPath: string; requireTty: false };
let container: string;
let http: Server;
let base: string;
const hooks: { path: string; body: Record<string, unknown> }[] = [];
let smtp: FakeSmtp;

async function docker(...args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await execFileWithTimeout("docker", args, { timeoutMs: 30_000 });
  return { code: r.code, out: r.stdout.toString() };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ds01-notifier-"));
  await mkdir(join(dir, "dev", "pts"), { recursive: true });
  await writeFile(join(dir, "passwd"), `alice:x:${ALICE}:${ALICE}::/home/alice:/bin/sh\nbob:x:52002:52002::/home/bob:/bin/sh\n`);
  await writeFile(join(dir, "utmp"), Buffer.concat([encodeUtmpRecord({ line: "pts/1", user: "alice" }), encodeUtmpRecord({ line: "pts/2", user: "alice" })]));
  for (const line of ["pts/1", "pts/2"]) {
    await writeFile(join(dir, "dev", line), "");
    await chown(join(dir, "dev", line), ALICE, ALICE);
  }
  ttyOpts = { utmpPath: join(dir, "utmp"), devRoot: join(dir, "dev"), passwdPath: join(dir, "passwd"), requireTty: false };

  const run = await docker("run", "-d", "--label", `${LABEL.testRun}=${RUN}`, TEST_IMAGE, "sleep", "300");
  container = run.out.trim();

  http = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      hooks.push({ path: req.url ?? "", body: JSON.parse(body) as Record<string, unknown> });
      res.statusCode = req.url?.startsWith("/down") ? 503 : 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  smtp = await startSmtp("normal");
});

afterAll(async () => {
  const ids = (await docker("ps", "-aq", "--filter", `label=${LABEL.testRun}=${RUN}`)).out.split("\n").filter(Boolean);
  if (ids.length > 0) await docker("rm", "-f", ...ids);
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  await smtp.stop();
  await rm(dir, { recursive: true, force: true });
});

function userNotice(user: string, over: Partial<Notice> = {}): Notice {
  return {
    audience: "user",
    user,
    containerId: container,
    containerName: `train._.${user}`,
    severity: "warning",
    title: "IDLE CONTAINER",
    body: "Idle for 2h (GPU 0% < 5%). It will be stopped at 14:00 UTC.",
    facts: { gpu_util: 0, gpu_idle_threshold: 5 },
    prevent: ["touch /workspace/.keep-alive"],
    ...over,
  };
}

const settings = (): NotificationSettings => ({
  webhook_url: `${base}/user-hook/secret`,
  admin_webhook_url: `${base}/admin-hook/secret`,
  webhook_timeout_s: 2,
  email: { smtp_host: "127.0.0.1", smtp_port: smtp.port, from: "ds01@gpu01.lab", user_domain: "lab.org", admin_to: ["ops@lab.org"], timeout_s: 3 },
});

const alertFile = async () => docker("exec", container, "cat", "/workspace/.ds01-alerts");

describe("createNotifier", () => {
  it("a logged-in user: both terminals, the webhook and e-mail; no container file", async () => {
    const n = createNotifier(settings(), runtime, { clock, tty: ttyOpts, heloName: "gpu01" });
    const results = await n.notify(userNotice("alice"));
    expect(results.map((r) => [r.channel, r.ok])).toEqual([
      ["tty", true],
      ["tty", true],
      ["webhook", true],
      ["email", true],
    ]);
    for (const line of ["pts/1", "pts/2"]) {
      const text = await readFile(join(dir, "dev", line), "latin1");
      expect(text).toContain("[WARNING] IDLE CONTAINER: train._.alice\r\n");
      expect(text).toContain("  - touch /workspace/.keep-alive\r\n");
    }
    const hook = hooks.find((h) => h.path === "/user-hook/secret" && h.body.user === "alice");
    expect(hook?.body).toMatchObject({ severity: "warning", container: "train._.alice", facts: { gpu_util: 0, gpu_idle_threshold: 5 } });
    expect(String(hook?.body.text)).toMatch(/^\[WARNING\] IDLE CONTAINER: train\._\.alice\nds01 - 2025-03-01 12:00:00 UTC/);
    expect(smtp.sessions.at(-1)?.commands).toContain("RCPT TO:<alice@lab.org>");
    expect((await alertFile()).code).not.toBe(0); // no file: the terminals had it
  });

  it("a user with no terminal: the alert file in the container instead", async () => {
    const n = createNotifier({}, runtime, { clock, tty: ttyOpts });
    const results = await n.notify(userNotice("bob", { severity: "final_warning" }));
    expect(results).toEqual([{ channel: "container_file", target: `container ${container.slice(0, 12)}:/workspace/.ds01-alerts`, ok: true, error: null, via: expect.stringMatching(/^(archive|exec)$/) }]);
    const file = await alertFile();
    expect(file.out).toContain("[FINAL WARNING] IDLE CONTAINER: train._.bob\n");
    expect(file.out).toContain("ds01 - 2025-03-01 12:00:00 UTC - user bob\n");
  });

  it("an admin alert: admin webhook and admin e-mail, never a user's terminal", async () => {
    const n = createNotifier(settings(), runtime, { clock, tty: ttyOpts, heloName: "gpu01" });
    const before = await readFile(join(dir, "dev", "pts/1"), "latin1");
    const results = await n.notify({
      audience: "admin",
      user: "alice",
      containerId: null,
      containerName: null,
      severity: "alert",
      title: "GPU RESET REFUSED",
      body: "GPU-1 is MIG-enabled.",
      facts: { gpu_uuid: "GPU-1" },
    });
    expect(results.map((r) => [r.channel, r.target, r.ok])).toEqual([
      ["webhook", `${base}/...`, true],
      ["email", "ops@lab.org", true],
    ]);
    expect(hooks.at(-1)?.path.startsWith("/admin-hook/")).toBe(true);
    expect(await readFile(join(dir, "dev", "pts/1"), "latin1")).toBe(before);
  });

  it("the admin webhook falls back to webhook_url", async () => {
    const n = createNotifier({ webhook_url: `${base}/only-hook/x` }, null, { clock, tty: false });
    const results = await n.notify({ ...userNotice("alice"), audience: "admin", severity: "alert" });
    expect(results).toEqual([{ channel: "webhook", target: `${base}/...`, ok: true, error: null }]);
    expect(hooks.at(-1)?.path).toBe("/only-hook/x");
  });

  it("every channel failing: failures returned, nothing thrown", async () => {
    const n = createNotifier(
      { webhook_url: `${base}/down/x`, email: { smtp_host: "127.0.0.1", smtp_port: 1, from: "ds01@gpu01.lab", user_domain: "lab.org", timeout_s: 2 } },
      null,
      { clock, tty: { ...ttyOpts, devRoot: join(dir, "no-dev") } },
    );
    const results = await n.notify(userNotice("alice"));
    expect(results.map((r) => [r.channel, r.ok])).toEqual([
      ["tty", false],
      ["tty", false],
      ["container_file", false],
      ["webhook", false],
      ["email", false],
    ]);
    expect(results.every((r) => r.error)).toBe(true);
  });
});

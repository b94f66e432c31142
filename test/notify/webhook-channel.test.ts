// The webhook channel against a real HTTP server on loopback: accepted, refused with 500, hanging,
// and nobody listening.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Notice } from "../../src/model/notice.js";
import { buildWebhookPayload, postWebhook, redactUrl } from "../../src/notify/webhook-channel.js";

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

const received: Received[] = [];
let server: Server;
let base: string;
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], body });
      if (req.url?.startsWith("/ok")) res.end("ok");
      else if (req.url?.startsWith("/fail")) {
        res.statusCode = 500;
        res.end("invalid_payload\u001b[31m");
      } else if (req.url?.startsWith("/hang")) hanging.push(res); // never answers
      else {
        res.statusCode = 404;
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const r of hanging) r.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const notice: Notice = {
  audience: "user",
  user: "alice",
  containerId: "c0ffee0123456789",
  containerName: "train._.alice",
  severity: "final_warning",
  title: "IDLE CONTAINER",
  body: "Stopping soon.",
  facts: { idle_for_s: 7000, gpu_util: 0, gpu_idle_threshold: 5, big: 10n },
};
const NOW = Date.UTC(2025, 2, 1, 12, 0, 0);

describe("postWebhook (real HTTP server)", () => {
  it("POSTs a Slack/Mattermost/Teams-compatible JSON body with the structured fields", async () => {
    const payload = buildWebhookPayload(notice, "[FINAL WARNING] IDLE CONTAINER: train._.alice\n\nStopping soon.\n", NOW);
    const r = await postWebhook(`${base}/ok/T000/B000/secret-token`, payload, { timeoutMs: 2000 });
    expect(r).toEqual({ channel: "webhook", target: `${base}/...`, ok: true, error: null });
    const got = received.find((x) => x.url === "/ok/T000/B000/secret-token");
    expect(got?.method).toBe("POST");
    expect(got?.contentType).toBe("application/json");
    expect(JSON.parse(got?.body ?? "null")).toEqual({
      text: "[FINAL WARNING] IDLE CONTAINER: train._.alice\n\nStopping soon.\n",
      severity: "final_warning",
      audience: "user",
      title: "IDLE CONTAINER",
      user: "alice",
      container: "train._.alice",
      container_id: "c0ffee0123456789",
      facts: { idle_for_s: 7000, gpu_util: 0, gpu_idle_threshold: 5, big: "10" },
      time: "2025-03-01T12:00:00.000Z",
    });
  });

  it("an HTTP error is a failed delivery with the status and a sanitised reason, and no secret", async () => {
    const r = await postWebhook(`${base}/fail/secret`, buildWebhookPayload(notice, "x", NOW), { timeoutMs: 2000 });
    expect(r).toEqual({ channel: "webhook", target: `${base}/...`, ok: false, error: "HTTP 500: invalid_payload?[31m" });
  });

  it("a server that never answers times out", async () => {
    const r = await postWebhook(`${base}/hang/secret`, buildWebhookPayload(notice, "x", NOW), { timeoutMs: 300 });
    expect(r).toEqual({ channel: "webhook", target: `${base}/...`, ok: false, error: "timed out after 300 ms" });
  });

  it("nobody listening is a failed delivery naming the reason", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const r = await postWebhook(`http://127.0.0.1:${port}/secret`, buildWebhookPayload(notice, "x", NOW), { timeoutMs: 2000 });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/ECONNREFUSED/);
    expect(r.error).not.toMatch(/secret/);
  });

  it("an invalid URL is a failed delivery, not an exception", async () => {
    const r = await postWebhook("not a url/secret", buildWebhookPayload(notice, "x", NOW));
    expect(r).toEqual({ channel: "webhook", target: "(invalid webhook URL)", ok: false, error: "invalid webhook URL (http or https expected)" });
  });
});

describe("redactUrl", () => {
  it.each([
    ["https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/..."],
    ["https://chat.example.org/hooks/abc?x=1", "https://chat.example.org/..."],
    ["http://user:pw@host:8080/", "http://host:8080/..."],
    ["http://host:8080", "http://host:8080/"],
    ["::", "(invalid webhook URL)"],
  ])("%s", (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

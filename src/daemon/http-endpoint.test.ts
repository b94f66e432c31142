import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../util/log.js";
import { health } from "./health.js";
import { HttpEndpoint } from "./http-endpoint.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
let endpoint: HttpEndpoint | null = null;
afterEach(async () => {
  await endpoint?.stop();
  endpoint = null;
});

async function serve(dockerError: string | null) {
  endpoint = new HttpEndpoint(
    { host: "127.0.0.1", port: 0 },
    {
      metrics: async () => ({ contentType: "text/plain; version=0.0.4; charset=utf-8", body: "ds01_docker_up 1\n" }),
      health: () => health({ now: T0, startedAt: T0, passIntervalMs: 1000, dockerError, eventStreamError: null, gpuError: null, lastSuccessfulPassAt: T0, passRunningSince: null, configWarning: null }),
    },
    silentLogger,
  );
  const a = await endpoint.start();
  expect(a.host).toBe("127.0.0.1");
  expect(a.port).toBeGreaterThan(0);
  return `http://127.0.0.1:${a.port}`;
}

describe("HttpEndpoint (real loopback socket)", () => {
  it("serves /metrics and an ok /healthz", async () => {
    const url = await serve(null);
    const m = await fetch(`${url}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await m.text()).toBe("ds01_docker_up 1\n");
    const h = await fetch(`${url}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: "ok", reasons: [] });
  });

  it("answers 503 with the reason when degraded, 404 and 405 otherwise", async () => {
    const url = await serve("connect ECONNREFUSED");
    const h = await fetch(`${url}/healthz`);
    expect(h.status).toBe(503);
    expect(await h.json()).toMatchObject({ status: "degraded", reasons: ["docker unreachable: connect ECONNREFUSED"] });
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("refuses an address in use", async () => {
    const url = await serve(null);
    const port = Number(new URL(url).port);
    const second = new HttpEndpoint({ host: "127.0.0.1", port }, { metrics: async () => ({ contentType: "", body: "" }), health: () => { throw new Error("unused"); } }, silentLogger);
    await expect(second.start()).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});

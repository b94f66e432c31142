// scrapeDcgm against local HTTP servers: the fixture sample, a server that hangs, garbage, errors.
import { readFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransientError } from "../../src/errors.js";
import { scrapeDcgm } from "../../src/gpu/dcgm-scrape.js";

const SAMPLE = readFileSync(new URL("../fixtures/dcgm-exporter/sample-a100-mig.prom", import.meta.url), "utf8");

let server: Server;
let base = "";
const held: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(SAMPLE);
    } else if (req.url === "/hang") {
      held.push(res); // never answers
    } else if (req.url === "/hang-body") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write(SAMPLE.slice(0, 200)); // headers and part of a body, then nothing
      held.push(res);
    } else if (req.url === "/garbage") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html><body><h1>It works!</h1></body></html>\n");
    } else if (req.url === "/empty") {
      res.writeHead(200).end("");
    } else {
      res.writeHead(503).end("restarting\n");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function failure(url: string, timeoutMs = 5_000): Promise<TransientError> {
  const e = await scrapeDcgm(url, timeoutMs).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TransientError);
  expect((e as TransientError).source).toBe("dcgm_exporter");
  return e as TransientError;
}

describe("scrapeDcgm", () => {
  it("reads per-instance and per-GPU activity from the fixture sample", async () => {
    const a = await scrapeDcgm(`${base}/metrics`, 5_000);
    expect(a.instances.get("GPU-513536b6-0000-4063-b049-1e69664bb298/1")).toBeCloseTo(81.2345, 6);
    expect(a.instances.get("GPU-513536b6-0000-4063-b049-1e69664bb298/5")).toBe(0);
    expect(a.gpus.get("GPU-9a1c2b3d-0000-4e5f-8a9b-0c1d2e3f4a5b")).toBeCloseTo(36.5, 6);
  });

  it("a server that never answers → TransientError after the timeout", async () => {
    expect((await failure(`${base}/hang`, 300)).message).toMatch(/no answer within 300 ms/);
  });

  it("a body that stops halfway → TransientError after the timeout", async () => {
    expect((await failure(`${base}/hang-body`, 300)).message).toMatch(/no answer within 300 ms/);
  });

  it("garbage → TransientError", async () => {
    await failure(`${base}/garbage`);
  });

  it("an empty body (exporter restarting) → TransientError, not zero activity", async () => {
    expect((await failure(`${base}/empty`)).message).toMatch(/empty body/);
  });

  it("HTTP 503 → TransientError", async () => {
    expect((await failure(`${base}/other`)).message).toMatch(/HTTP 503/);
  });

  it("nothing listening → TransientError", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await failure(`http://127.0.0.1:${port}/metrics`);
  });
});

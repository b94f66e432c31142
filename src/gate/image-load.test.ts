// forwardCheckedArchive with a load's check (loadCheck) between a client and a stand-in for dockerd (an HTTP server that keeps what it
// receives, or reads it slowly): what arrives is what was sent (or its gunzipped tar), a tag file
// arrives only once its tags were claimed, and a refusal cuts the upload before it.
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestJson, tarArchive } from "../../test/helpers/tar-builder.js";
import { forwardCheckedArchive } from "./checked-archive.js";
import { loadCheck, type ClaimLoadTags } from "./image-load.js";
import { MAX_LOAD_TAGS } from "./load-tags.js";
import type { TagTarget } from "./image-tags.js";

interface Received {
  bytes: Buffer;
  complete: boolean;
}

let dir: string;
let engine: Server;
let gate: Server;
const engineSocket = () => join(dir, "engine.sock");
const gateSocket = () => join(dir, "gate.sock");
let received: Promise<Received>;
let slowEngine = false;
let claim: ClaimLoadTags = async () => null;
let claimed: TagTarget[][] = [];
const refusals: string[] = [];
let engineRequests = 0;

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve) => server.listen(path, resolve));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ds01-image-load-"));
  let deliver: (r: Received) => void = () => undefined;
  received = new Promise((r) => (deliver = r));
  engine = createServer((req, res) => {
    engineRequests++;
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      parts.push(c);
      if (slowEngine) {
        req.pause();
        setTimeout(() => req.resume(), 1);
      }
    });
    const done = (complete: boolean) => {
      deliver({ bytes: Buffer.concat(parts), complete });
      received = new Promise((r) => (deliver = r));
    };
    req.on("end", () => {
      done(true);
      res.end('{"stream":"Loaded"}\n');
    });
    req.on("aborted", () => done(false));
  });
  gate = createServer((req, res) => {
    const upstream = request({ socketPath: engineSocket(), method: "POST", path: "/images/load" });
    upstream.on("error", () => undefined);
    upstream.on("response", (up) => up.pipe(res));
    const check = loadCheck((tags) => {
      claimed.push([...tags]);
      return claim(tags);
    });
    forwardCheckedArchive(req, upstream, check, (reason, status) => {
      refusals.push(reason);
      res.writeHead(status).end(reason);
      req.resume();
    });
  });
  await listen(engine, engineSocket());
  await listen(gate, gateSocket());
});

afterAll(async () => {
  await new Promise((r) => gate.close(r));
  await new Promise((r) => engine.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function send(body: Buffer, pieces = 64 * 1024): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: gateSocket(), method: "POST", path: "/images/load" }, (res: IncomingMessage) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    let i = 0;
    const more = () => {
      while (i < body.length) {
        const ok = req.write(body.subarray(i, i + pieces));
        i += pieces;
        if (!ok) return void req.once("drain", more);
      }
      req.end();
    };
    more();
  });
}

const big = Buffer.alloc(8 * 1024 * 1024, 3);
const archive = tarArchive([{ name: "layer/layer.tar", data: big }, { name: "manifest.json", data: manifestJson(["alice/app:v1"]) }]);

describe("forwardCheckedArchive with a load's check", () => {
  it("hands a plain archive on byte for byte, claiming its tags, also to an engine that reads slowly", async () => {
    for (const slow of [false, true]) {
      slowEngine = slow;
      claimed = [];
      const got = received;
      const r = await send(archive);
      expect(r.status).toBe(200);
      const at = await got;
      expect(at.complete).toBe(true);
      expect(at.bytes.equals(archive)).toBe(true);
      expect(claimed.map((c) => c.map((t) => t.key))).toEqual([["docker.io/alice/app:v1"]]);
    }
    slowEngine = false;
  });

  it("hands a gzip archive on as the tar it decompresses to", async () => {
    const got = received;
    const r = await send(gzipSync(archive), 1000);
    expect(r.status).toBe(200);
    expect((await got).bytes.equals(archive)).toBe(true);
  });

  it("on a refused tag, the engine gets everything before manifest.json, then no tar header, and never an end", async () => {
    claim = async (tags) => `the image tag ${tags[0]!.shown} is bob's`;
    refusals.length = 0;
    const got = received;
    const r = await send(archive);
    claim = async () => null;
    expect(r.status).toBe(403);
    expect(refusals).toHaveLength(1);
    expect(r.body).toMatch(/^docker load \(nothing was loaded\): the image tag alice\/app:v1 is bob's\. A load sets the tags its archive names \(here in its manifest\.json\)/);
    const at = await got;
    expect(at.complete).toBe(false);
    const cut = archive.indexOf(Buffer.from("manifest.json"));
    expect(at.bytes.subarray(0, cut).equals(archive.subarray(0, cut))).toBe(true);
    expect(at.bytes.indexOf(Buffer.from("alice/app"))).toBe(-1);
    expect(at.bytes.subarray(cut)).toEqual(Buffer.alloc(at.bytes.length - cut, 0xff));
  });

  it("a tag check that fails (the engine did not answer the lookup) is a 502 to try again, and cuts the upload too", async () => {
    claim = async () => {
      throw new Error("connect ENOENT /var/run/docker.sock");
    };
    const got = received;
    const r = await send(archive);
    claim = async () => null;
    expect(r.status).toBe(502);
    expect(r.body).toMatch(/the gate could not check the tags the archive sets \(connect ENOENT .*\); try again/);
    expect((await got).complete).toBe(false);
  });

  it("refuses damaged gzip data: a flipped byte, or a stream cut short", async () => {
    const gz = gzipSync(archive);
    const flipped = Buffer.from(gz);
    flipped[gz.length - 6]! ^= 0xff; // the CRC
    for (const bad of [flipped, gz.subarray(0, gz.length - 100)]) {
      const r = await send(bad);
      expect(r.status).toBe(403);
      expect(r.body).toMatch(/the archive's gzip data is damaged/);
    }
  });

  it("refuses bzip2 and zstd with the command that decompresses them", async () => {
    for (const [magic, tool] of [["BZh9", "bzip2"], ["\x28\xb5\x2f\xfd\x00\x00", "zstd"]] as const) {
      const r = await send(Buffer.concat([Buffer.from(magic, "latin1"), Buffer.alloc(600)]));
      expect(r.status).toBe(403);
      expect(r.body).toContain(`${tool} -dc FILE | docker load`);
    }
  });

  it("refuses xz before anything reaches the engine", async () => {
    const before = engineRequests;
    const r = await send(Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(100)]));
    expect(r.status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(engineRequests).toBe(before);
    expect(r.body).toMatch(/xz-compressed.*xz -dc FILE \| docker load/);
  });

  it("checks at most MAX_LOAD_TAGS tags per load, however many tag files the archive repeats them in", async () => {
    // Each manifest.json is under the per-file bound; together they would be claimed (each tag looked
    // up on the engine, one claim at a time for everyone) without end.
    const tagFile = (n: number) => ({ name: "manifest.json", data: manifestJson(Array.from({ length: 600 }, (_, i) => `flood/t${n}:${i}`)) });
    const many = tarArchive([tagFile(1), tagFile(2), tagFile(3)]);
    claimed = [];
    const got = received;
    const r = await send(many);
    expect(claimed.flat().length).toBeLessThanOrEqual(MAX_LOAD_TAGS);
    expect(r.status).toBe(403);
    expect(r.body).toMatch(/tag files together set more than 1000 tags; the gate checks at most 1000 per load/);
    expect((await got).complete).toBe(false);
  });
});

import { createServer, connect, type Server, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { libc } from "../util/libc.js";
import { socketFd } from "./peer-credentials.js";
import { WideStreams, widenSendBuffer } from "./send-buffer.js";

describe("WideStreams", () => {
  it("gives at most `max` places at once, and a place back once, however often it is released", () => {
    const w = new WideStreams(2);
    const a = w.take();
    const b = w.take();
    expect(a && b).toBeTruthy();
    expect(w.take()).toBeNull();
    a!();
    a!(); // a stream's close and its engine's close both release: counted once
    expect(w.inUse).toBe(1);
    const c = w.take();
    expect(c).not.toBeNull();
    expect(w.take()).toBeNull();
    b!();
    c!();
    expect(w.inUse).toBe(0);
  });
});

describe("widenSendBuffer on a real Unix socket", () => {
  const dir = mkdtempSync(join(tmpdir(), "ds01-sndbuf-"));
  let server: Server;
  let client: Socket;
  beforeAll(async () => {
    server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(join(dir, "s.sock"), r));
    client = connect(join(dir, "s.sock"));
    await new Promise((r) => client.once("connect", r));
  });
  afterAll(() => {
    client.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sndbuf = (s: Socket): number => {
    const { libc: c } = libc();
    const get = c.func("int getsockopt(int fd, int level, int name, _Out_ int *val, _Inout_ uint32_t *len)") as (fd: number, l: number, n: number, v: number[], len: number[]) => number;
    const v = [0];
    expect(get(socketFd(s), 1, 7, v, [4])).toBe(0);
    return v[0]!;
  };

  it("sets the socket's send buffer (the kernel keeps twice the value asked for)", () => {
    const before = sndbuf(client);
    expect(widenSendBuffer(client, 4 * 1024 * 1024)).toBe(true);
    const after = sndbuf(client);
    // As root past net.core.wmem_max (SO_SNDBUFFORCE); as anyone else up to it.
    if (process.getuid?.() === 0) expect(after).toBe(8 * 1024 * 1024);
    else expect(after).toBeGreaterThanOrEqual(before);
  });

  it("says false for a socket that is closed already, and throws nothing", () => {
    const s = connect(join(dir, "s.sock"));
    s.destroy();
    expect(widenSendBuffer(s, 1024 * 1024)).toBe(false);
  });
});

// The TTY channel against real files: a utmp file in the real binary format, a /dev directory whose
// "terminals" are plain files owned by the users' uids, and (where python3 exists) a real pty.
import { spawn } from "node:child_process";
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverToTtys } from "../../src/notify/tty-channel.js";
import { encodeUtmpRecord } from "../../src/notify/utmp.js";

const ALICE = 51001;
const BOB = 51002;
const isRoot = process.getuid?.() === 0;

let dir: string;
let dev: string;
let utmp: string;
let passwd: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ds01-notify-tty-"));
  dev = join(dir, "dev");
  await mkdir(join(dev, "pts"), { recursive: true });
  utmp = join(dir, "utmp");
  passwd = join(dir, "passwd");
  await writeFile(passwd, `root:x:0:0::/root:/bin/sh\nalice:x:${ALICE}:${ALICE}::/home/alice:/bin/sh\nbob:x:${BOB}:${BOB}::/home/bob:/bin/sh\n`);
  await writeFile(
    utmp,
    Buffer.concat([
      encodeUtmpRecord({ line: "pts/1", user: "alice", pid: 10 }),
      encodeUtmpRecord({ line: "pts/2", user: "bob", pid: 11 }),
      encodeUtmpRecord({ line: "tty3", user: "alice", pid: 12 }),
      encodeUtmpRecord({ type: 8, line: "pts/7", user: "alice", pid: 13 }), // dead session
      encodeUtmpRecord({ line: "../escape", user: "alice", pid: 14 }),
    ]),
  );
  for (const [line, uid] of [["pts/1", ALICE], ["pts/2", BOB], ["tty3", ALICE], ["pts/7", ALICE]] as const) {
    await writeFile(join(dev, line), "");
    if (isRoot) await chown(join(dev, line), uid, uid);
  }
  await writeFile(join(dir, "escape"), "");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const read = (line: string) => readFile(join(dev, line), "latin1");

describe.skipIf(!isRoot)("deliverToTtys (files owned by the users)", () => {
  it("writes alice's message to both of alice's terminals and to none of bob's", async () => {
    const results = await deliverToTtys("alice", "[WARNING] hello alice\nsecond line\n", { utmpPath: utmp, devRoot: dev, passwdPath: passwd, requireTty: false });
    expect(results).toEqual([
      { channel: "tty", target: join(dev, "pts/1"), ok: true, error: null },
      { channel: "tty", target: join(dev, "tty3"), ok: true, error: null },
    ]);
    expect(await read("pts/1")).toBe("\r\n[WARNING] hello alice\r\nsecond line\r\n");
    expect(await read("tty3")).toBe("\r\n[WARNING] hello alice\r\nsecond line\r\n");
    expect(await read("pts/2")).toBe("");
    expect(await read("pts/7")).toBe("");
    expect(await readFile(join(dir, "escape"), "latin1")).toBe("");
  });

  it("refuses a terminal that utmp lists for bob but that alice owns", async () => {
    const u2 = join(dir, "utmp-mismatch");
    await writeFile(u2, encodeUtmpRecord({ line: "pts/1", user: "bob" }));
    const before = await read("pts/1");
    const results = await deliverToTtys("bob", "for bob", { utmpPath: u2, devRoot: dev, passwdPath: passwd, requireTty: false });
    expect(results).toHaveLength(1);
    expect(results[0]?.ok).toBe(false);
    expect(results[0]?.error).toMatch(/owned by uid 51001/);
    expect(await read("pts/1")).toBe(before);
  });

  it("refuses plain files when a real terminal is required", async () => {
    const results = await deliverToTtys("bob", "x", { utmpPath: utmp, devRoot: dev, passwdPath: passwd });
    expect(results).toEqual([{ channel: "tty", target: join(dev, "pts/2"), ok: false, error: "not a terminal" }]);
  });

  it("without a utmp file: the pseudo-terminals the user owns", async () => {
    const noUtmp = { utmpPath: join(dir, "nope"), devRoot: dev, passwdPath: passwd, requireTty: false };
    const results = await deliverToTtys("bob", "from scan", noUtmp);
    expect(results).toEqual([{ channel: "tty", target: join(dev, "pts/2"), ok: true, error: null }]);
    expect(await read("pts/2")).toBe("\r\nfrom scan");
    expect((await deliverToTtys("alice", "x", { ...noUtmp, requireTty: true })).map((r) => [r.target, r.error])).toEqual([
      [join(dev, "pts/1"), "not a terminal"],
      [join(dev, "pts/7"), "not a terminal"],
    ]);
    expect(await deliverToTtys("nobody-in-passwd", "x", noUtmp)).toEqual([]);
  });

  it("a user with no session gets no result; a vanished device is a failure", async () => {
    expect(await deliverToTtys("carol", "x", { utmpPath: utmp, devRoot: dev, passwdPath: passwd, requireTty: false })).toEqual([]);
    const results = await deliverToTtys("alice", "x", { utmpPath: utmp, devRoot: join(dir, "nodev"), passwdPath: passwd, requireTty: false });
    expect(results.map((r) => r.ok)).toEqual([false, false]);
    expect(results[0]?.error).toMatch(/ENOENT/);
  });

  it("a user missing from passwd: their own terminal is written, a root-owned one is refused", async () => {
    await writeFile(join(dev, "pts/5"), "");
    await chown(join(dev, "pts/5"), 51005, 51005);
    await writeFile(join(dev, "pts/6"), ""); // root-owned
    const u3 = join(dir, "utmp-ldap");
    await writeFile(u3, Buffer.concat([encodeUtmpRecord({ line: "pts/5", user: "ldapuser" }), encodeUtmpRecord({ line: "pts/6", user: "ldapuser" })]));
    const results = await deliverToTtys("ldapuser", "hi", { utmpPath: u3, devRoot: dev, passwdPath: passwd, requireTty: false });
    expect(results.map((r) => r.ok)).toEqual([true, false]);
    expect(await read("pts/5")).toBe("\r\nhi");
    expect(await read("pts/6")).toBe("");
  });
});

const hasPython = await new Promise<boolean>((resolve) => {
  const p = spawn("python3", ["-c", "import os,pty"], { stdio: "ignore" });
  p.on("error", () => resolve(false));
  p.on("close", (code) => resolve(code === 0));
});

// A real pseudo-terminal: python3 opens a pty pair, gives the terminal to ALICE, prints its name and
// echoes back (hex) what arrives on the master side until it sees the end marker.
const PTY_HELPER = `
import os, sys, select, time
m, s = os.openpty()
os.fchown(s, int(sys.argv[1]), -1)
print(os.ttyname(s), flush=True)
data = b""
end = time.time() + 15
while time.time() < end and b"END-OF-NOTICE" not in data:
    r, _, _ = select.select([m], [], [], 0.2)
    if r:
        data += os.read(m, 65536)
print(data.hex(), flush=True)
`;

describe.skipIf(!isRoot || !hasPython)("deliverToTtys (a real pty)", () => {
  it("writes to a real terminal owned by the user, with requireTty on", async () => {
    const helper = spawn("python3", ["-c", PTY_HELPER, String(ALICE)], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const lines = createInterface({ input: helper.stdout })[Symbol.asyncIterator]();
      const ttyPath = String((await lines.next()).value);
      expect(ttyPath).toMatch(/^\/dev\//);
      const u = join(dir, "utmp-pty");
      await writeFile(u, encodeUtmpRecord({ line: ttyPath.slice("/dev/".length), user: "alice" }));
      const results = await deliverToTtys("alice", "[WARNING] real pty\nEND-OF-NOTICE\n", { utmpPath: u, passwdPath: passwd });
      expect(results).toEqual([{ channel: "tty", target: ttyPath, ok: true, error: null }]);
      const received = Buffer.from(String((await lines.next()).value), "hex").toString("latin1");
      expect(received).toContain("[WARNING] real pty");
      expect(received).toContain("END-OF-NOTICE");
      // bob's uid does not own it: refused
      await writeFile(u, encodeUtmpRecord({ line: ttyPath.slice("/dev/".length), user: "bob" }));
      const b = await deliverToTtys("bob", "x", { utmpPath: u, passwdPath: passwd });
      expect(b[0]?.ok).toBe(false);
    } finally {
      helper.kill();
    }
  });
});

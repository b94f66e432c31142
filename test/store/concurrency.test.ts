// WAL readers beside a writer, and crash safety, with real child processes.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { openStore } from "../../src/store/sqlite-store.js";
import { ev, tempDir, spawnFixture, collect, waitForLine, killAndWait } from "./helpers.js";
import { connectionForTests } from "../../src/store/sqlite-store.js";

let tmp: ReturnType<typeof tempDir>;
const children: ChildProcess[] = [];
beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  for (const c of children.splice(0)) await killAndWait(c);
  tmp.cleanup();
});

async function readInChild(dir: string): Promise<{ count?: number; records?: number; error?: string }> {
  const child = spawnFixture("reader.ts", [dir]);
  children.push(child);
  const { lines, stderr } = await collect(child);
  expect(lines, stderr).toHaveLength(1);
  return JSON.parse(lines[0]!);
}

describe("concurrent reader while writing (WAL)", () => {
  it("a reader in another process sees the last commit while a large write transaction is open", async () => {
    const store = openStore(tmp.dir);
    try {
      for (let i = 0; i < 10; i++) store.append(ev({ details: { i } }));
      // A tiny page cache makes the open transaction spill pages: without WAL that takes an
      // EXCLUSIVE lock on the database file and the reader (busy timeout 0) would fail.
      connectionForTests(store).pragma("cache_size = 2");
      connectionForTests(store).exec("BEGIN IMMEDIATE");
      const big = "x".repeat(2000);
      for (let i = 0; i < 300; i++) store.append(ev({ details: { big, i } }));
      const during = await readInChild(tmp.dir);
      expect(during).toEqual({ count: 10, records: 0 });
      connectionForTests(store).exec("COMMIT");
      const after = await readInChild(tmp.dir);
      expect(after).toEqual({ count: 310, records: 0 });
    } finally {
      store.close();
    }
  });
});

describe("crash safety", () => {
  it.each([
    ["each commit synced (the daemon)", "full"],
    ["commits synced after they return (the gate's backgroundSync), none synced yet", "background"],
  ])("everything appended before a SIGKILL is there after reopening: %s", async (_what, mode) => {
    const child = spawnFixture("writer.ts", [tmp.dir, mode]);
    children.push(child);
    let acked = 0;
    child.stdout!.on("data", (d: Buffer) => {
      for (const m of d.toString().matchAll(/ok (\d+)/g)) acked = Math.max(acked, Number(m[1]));
    });
    await waitForLine(child, (l) => Number(l.split(" ")[1]) >= 40);
    await killAndWait(child, "SIGKILL");
    expect(child.signalCode).toBe("SIGKILL");
    expect(acked).toBeGreaterThanOrEqual(40);

    const store = openStore(tmp.dir);
    try {
      const ns = new Set(store.query({}).map((e) => e.details.n));
      for (let n = 1; n <= acked; n++) expect(ns.has(n), `event ${n} was acknowledged`).toBe(true);
      for (let n = 5; n <= acked; n += 5) expect(store.get(`id${n}`), `record id${n} was acknowledged`).not.toBeNull();
      // Either the whole commit of an unacknowledged step is there or none of it.
      for (const e of store.query({})) {
        const n = e.details.n as number;
        if (n % 5 === 0) expect(store.get(`id${n}`)).not.toBeNull();
      }
    } finally {
      store.close();
    }
  });
});

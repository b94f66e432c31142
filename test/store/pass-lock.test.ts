import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acquirePassLock, PASS_LOCK_INFO_FILE, type PassLock } from "../../src/store/pass-lock.js";
import { fixedClock } from "../../src/util/clock.js";
import { T0, tempDir, spawnFixture, waitForLine, killAndWait } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
const children: ChildProcess[] = [];
const locks: PassLock[] = [];
beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  for (const l of locks.splice(0)) l.release();
  for (const c of children.splice(0)) await killAndWait(c);
  tmp.cleanup();
});

function mustAcquire(dir: string, holder: string): PassLock {
  const r = acquirePassLock(dir, holder, { clock: fixedClock(T0) });
  if (!r.acquired) throw new Error(`expected to acquire, held by ${JSON.stringify(r.heldBy)}`);
  locks.push(r.lock);
  return r.lock;
}

describe("pass lock in one process", () => {
  it("is exclusive until released, and records who holds it", () => {
    const dir = join(tmp.dir, "state");
    const lock = mustAcquire(dir, "daemon");
    expect(lock).toMatchObject({ pid: process.pid, holder: "daemon", since: T0 });
    expect(JSON.parse(readFileSync(join(dir, PASS_LOCK_INFO_FILE), "utf8"))).toEqual({ pid: process.pid, holder: "daemon", since: T0 });
    const second = acquirePassLock(dir, "ds01 check");
    expect(second).toEqual({ acquired: false, heldBy: { pid: process.pid, holder: "daemon", since: T0 } });
    lock.release();
    lock.release(); // twice is harmless
    expect(existsSync(join(dir, PASS_LOCK_INFO_FILE))).toBe(false);
    expect(mustAcquire(dir, "ds01 check").holder).toBe("ds01 check");
  });

  it("a leftover info file from a dead process does not block", () => {
    writeFileSync(join(tmp.dir, PASS_LOCK_INFO_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, holder: "ghost", since: 1 }));
    expect(mustAcquire(tmp.dir, "daemon").holder).toBe("daemon");
  });
});

describe("pass lock across processes", () => {
  it("reports the live holder, then is taken over once the holder is SIGKILLed", async () => {
    const child = spawnFixture("lock-holder.ts", [tmp.dir, "ds01 check"]);
    children.push(child);
    const line = await waitForLine(child, (l) => l.startsWith("{"));
    expect(JSON.parse(line)).toEqual({ acquired: true });

    const refused = acquirePassLock(tmp.dir, "daemon");
    expect(refused.acquired).toBe(false);
    if (!refused.acquired) {
      expect(refused.heldBy.pid).toBe(child.pid);
      expect(refused.heldBy.holder).toBe("ds01 check");
      expect(typeof refused.heldBy.since).toBe("number");
    }

    await killAndWait(child, "SIGKILL");
    // The dead holder's info file is still there; the lock itself died with the process.
    expect(existsSync(join(tmp.dir, PASS_LOCK_INFO_FILE))).toBe(true);
    const lock = mustAcquire(tmp.dir, "daemon");
    expect(lock.holder).toBe("daemon");
  });

  it("a child is refused while this process holds it", async () => {
    mustAcquire(tmp.dir, "daemon");
    const child = spawnFixture("lock-holder.ts", [tmp.dir, "ds01 check"]);
    children.push(child);
    const line = await waitForLine(child, (l) => l.startsWith("{"));
    expect(JSON.parse(line)).toEqual({ acquired: false, heldBy: { pid: process.pid, holder: "daemon", since: T0 } });
  });
});

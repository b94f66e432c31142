// A store that is not what it should be is refused when it is opened, with a clear message, and
// never silently replaced: a 0-byte file, a damaged page. And a read-only state directory (a real
// read-only mount) still serves the read commands.
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openReservationDb, RESERVATION_DB_FILE } from "../../src/allocation/reservation-store.js";
import { InvalidInputError } from "../../src/errors.js";
import { openStore, STORE_FILE } from "../../src/store/index.js";
import { runCli } from "../helpers/cli.js";
import { canMountTmpfs, mountTmpfs } from "../helpers/tmpfs.js";
import { ev, T0, tempDir } from "./helpers.js";
import { connectionForTests } from "../../src/store/sqlite-store.js";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

const root = { uid: 0, userName: "root" };

describe("a 0-byte database file", () => {
  it("is refused by the store (writable and read-only), by events, and by the reservations, and left as it is", async () => {
    writeFileSync(join(tmp.dir, STORE_FILE), "");
    for (const readonly of [false, true]) {
      expect(() => openStore(tmp.dir, { readonly })).toThrow(InvalidInputError);
      expect(() => openStore(tmp.dir, { readonly })).toThrow(/ds01\.sqlite: the file is empty \(0 bytes\)/);
    }
    const r = await runCli(["--state-dir", tmp.dir, "events", "--json"], root);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/0 bytes/);
    expect(statSync(join(tmp.dir, STORE_FILE)).size).toBe(0);

    writeFileSync(join(tmp.dir, RESERVATION_DB_FILE), "");
    expect(() => openReservationDb(tmp.dir)).toThrow(/allocation\.sqlite: the file is empty \(0 bytes\)/);
    expect(statSync(join(tmp.dir, RESERVATION_DB_FILE)).size).toBe(0);
  });
});

describe("a damaged page", () => {
  it("is found when the store is opened, not at a later query", () => {
    const s = openStore(tmp.dir);
    const pageSize = Number(connectionForTests(s).pragma("page_size", { simple: true }));
    s.transaction(() => {
      for (let i = 0; i < 2000; i++) s.append(ev({ time: T0 + i, details: { n: i, text: "x".repeat(100) } }));
    });
    connectionForTests(s).pragma("wal_checkpoint(TRUNCATE)");
    const pages = Number(connectionForTests(s).pragma("page_count", { simple: true }));
    s.close();
    expect(pages).toBeGreaterThan(20);
    // Garbage over the header of a page in the middle of the events table.
    const path = join(tmp.dir, STORE_FILE);
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(64, 0xab), 0, 64, Math.floor(pages / 2) * pageSize);
    closeSync(fd);
    const before = readFileSync(path);
    for (const readonly of [false, true]) {
      const e = (() => {
        try {
          openStore(tmp.dir, { readonly }).close();
        } catch (err) {
          return err as Error;
        }
        return null;
      })();
      expect(e).toBeInstanceOf(InvalidInputError);
      expect(e!.message).toMatch(/the database is damaged \(integrity check at open: .*\); restore it/);
      expect(e!.message.split(path)).toHaveLength(2); // the file is named once
    }
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe("a read-only state directory", () => {
  it("still serves the read commands (events, gpu status, check --dry-run)", async (t) => {
    if (!canMountTmpfs()) return t.skip("needs root and mount(8) for a read-only tmpfs");
    const fs = mountTmpfs(join(tmp.dir, "ro"), 16);
    const mnt = fs.dir;
    try {
      const s = openStore(mnt);
      s.append(ev({ type: "gpu.allocate", user: "rouser" }));
      s.close();
      openReservationDb(mnt).close();
      fs.readonly();
      expect(() => writeFileSync(join(mnt, "x"), "")).toThrow(/EROFS/);

      const ev1 = await runCli(["--state-dir", mnt, "events", "--json"], root);
      expect(ev1.code, ev1.err).toBe(0);
      expect(JSON.parse(ev1.out).events).toEqual([expect.objectContaining({ type: "gpu.allocate", user: "rouser" })]);
      const gs = await runCli(["--state-dir", mnt, "gpu", "status", "--json"], { ...root, env: { DS01_NVIDIA_SMI: "/nonexistent/nvidia-smi" } });
      expect(gs.code, gs.err).toBe(0);
      expect(JSON.parse(gs.out)).toMatchObject({ slots: [] });
      const dry = await runCli(["--state-dir", mnt, "check", "--dry-run", "--json"], { ...root, env: { DS01_NVIDIA_SMI: "/nonexistent/nvidia-smi", DS01_SCOPE_LABEL: "ds01.test.none-such" } });
      expect(dry.code, dry.err).toBe(0);
    } finally {
      fs.unmount();
    }
  });
});

// backgroundSync: commits return before they are synced to disk, and are synced right after, off
// the caller's path; one sync at a time, covering every commit made before it started.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectionForTests, openStore, type Store } from "../../src/store/sqlite-store.js";
import { ev, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

/** A store whose log syncs are counted and released by hand. */
function counted() {
  const pending: (() => void)[] = [];
  const synced: string[] = [];
  const errors: unknown[] = [];
  const store = openStore(tmp.dir, {
    backgroundSync: {
      onError: (e) => errors.push(e),
      syncFile: (path) =>
        new Promise<void>((resolve) => {
          pending.push(() => {
            synced.push(path);
            resolve();
          });
        }),
    },
  });
  const releaseAll = async () => {
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { store, pending, synced, errors, releaseAll };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("backgroundSync", () => {
  it("commits without syncing inside the commit (synchronous=NORMAL), the daemon's store with (FULL)", () => {
    const bg = openStore(tmp.dir, { backgroundSync: { onError: () => undefined } });
    const full = openStore(tmp.dir);
    try {
      expect(connectionForTests(bg).pragma("synchronous", { simple: true })).toBe(1);
      expect(connectionForTests(full).pragma("synchronous", { simple: true })).toBe(2);
    } finally {
      bg.close();
      full.close();
    }
  });

  it("a commit is read by another connection at once, and its log is synced right after", async () => {
    const t = counted();
    const other = openStore(tmp.dir);
    try {
      t.store.append(ev({ details: { n: 1 } }));
      expect(other.query({}).map((e) => e.details.n)).toEqual([1]);
      await tick();
      expect(t.pending).toHaveLength(1);
      await t.releaseAll();
      expect(t.synced).toEqual([`${t.store.path}-wal`]);
      await t.store.synced();
    } finally {
      other.close();
      t.store.close();
    }
  });

  it("syncs once per transaction, not per statement in it, and once per owner record", async () => {
    const t = counted();
    try {
      t.store.transaction(() => {
        for (let n = 0; n < 5; n++) t.store.append(ev({ details: { n } }));
      });
      await tick();
      expect(t.pending).toHaveLength(1);
      await t.releaseAll();
      t.store.gateOwners.put({ kind: "container", id: "c1", uid: 1000, user: "alice", admin: false, createdAt: 1 });
      await tick();
      expect(t.pending).toHaveLength(1);
      await t.releaseAll();
      expect(t.synced).toHaveLength(2);
    } finally {
      t.store.close();
    }
  });

  it("commits made while a sync runs are covered by one more sync after it, not one each", async () => {
    const t = counted();
    try {
      t.store.append(ev({ details: { n: 1 } }));
      await tick();
      for (let n = 2; n <= 10; n++) t.store.append(ev({ details: { n } }));
      t.store.meta.set("k", "v");
      expect(t.pending).toHaveLength(1);
      let done = false;
      void t.store.synced().then(() => (done = true));
      t.pending.shift()!();
      await tick();
      await tick();
      expect(t.pending).toHaveLength(1); // the follow-up for commits 2..10
      expect(done).toBe(false);
      await t.releaseAll();
      await tick();
      expect(done).toBe(true);
      expect(t.synced).toHaveLength(2);
    } finally {
      t.store.close();
    }
  });

  it("a sync that fails is reported, and the next commit is synced again", async () => {
    let fail = true;
    const errors: unknown[] = [];
    let syncs = 0;
    const store: Store = openStore(tmp.dir, {
      backgroundSync: {
        onError: (e) => errors.push(e),
        syncFile: async () => {
          syncs++;
          if (fail) throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });
        },
      },
    });
    try {
      store.append(ev());
      await store.synced();
      expect(errors).toHaveLength(1);
      fail = false;
      store.append(ev());
      await store.synced();
      expect(syncs).toBe(2);
      expect(errors).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it("really syncs the log file with the default fsync", async () => {
    const errors: unknown[] = [];
    const store = openStore(tmp.dir, { backgroundSync: { onError: (e) => errors.push(e) } });
    try {
      store.append(ev());
      await store.synced();
      expect(errors).toEqual([]);
    } finally {
      store.close();
    }
  });
});

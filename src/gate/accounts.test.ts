import { expect, it } from "vitest";
import { cachedAccounts, type Account } from "./accounts.js";

/** A fetch whose answers the test hands out one by one. */
function manualFetch() {
  const calls: { uid: number; resolve(a: Account | null): void; reject(e: Error): void }[] = [];
  const fetch = (uid: number) => new Promise<Account | null>((resolve, reject) => calls.push({ uid, resolve, reject }));
  return { fetch, calls };
}
const alice = (groups: string[]): Account => ({ uid: 1000, name: "alice", groups });
const tick = () => new Promise((r) => setImmediate(r));

it("answers from the cache while fresh, then from the cache while a fresh answer is read, then waits once too old", async () => {
  let t = 0;
  const f = manualFetch();
  const accounts = cachedAccounts(f.fetch, { ttlMs: 30_000, refreshMs: 20_000, now: () => t });
  const first = accounts.byUid(1000);
  f.calls[0]!.resolve(alice(["users", "ds01-admin"]));
  expect(await first).toEqual(alice(["users", "ds01-admin"]));
  t = 19_999;
  expect(await accounts.byUid(1000)).toEqual(alice(["users", "ds01-admin"]));
  expect(f.calls).toHaveLength(1);

  // Past refreshMs: the answer in hand, at once, and one read in the background (not two).
  t = 20_000;
  expect(await accounts.byUid(1000)).toEqual(alice(["users", "ds01-admin"]));
  expect(await accounts.byUid(1000)).toEqual(alice(["users", "ds01-admin"]));
  expect(f.calls).toHaveLength(2);
  f.calls[1]!.resolve(alice(["users"])); // removed from the admin group meanwhile
  await tick();
  expect(await accounts.byUid(1000)).toEqual(alice(["users"]));

  // Nobody asked for a while: past ttlMs the old answer is not used, the caller waits.
  t = 20_000 + 30_000;
  const late = accounts.byUid(1000);
  expect(f.calls).toHaveLength(3);
  f.calls[2]!.resolve(null); // the account is gone
  expect(await late).toBeNull();
});

it("keeps the answer in hand when a background read fails, and does not keep a failed first read", async () => {
  let t = 0;
  const f = manualFetch();
  const accounts = cachedAccounts(f.fetch, { ttlMs: 30_000, refreshMs: 20_000, now: () => t });
  const first = accounts.byUid(7);
  f.calls[0]!.reject(new Error("NSS down"));
  await expect(first).rejects.toThrow("NSS down");
  const again = accounts.byUid(7); // not cached: asked again
  expect(f.calls).toHaveLength(2);
  f.calls[1]!.resolve(alice(["users"]));
  await again;
  t = 25_000;
  await accounts.byUid(7);
  f.calls[2]!.reject(new Error("NSS down"));
  await tick();
  expect(await accounts.byUid(7)).toEqual(alice(["users"])); // still the one in hand, and a new try
  expect(f.calls).toHaveLength(4);
});

// uid → login name and group names, through NSS (`getent`), so directory users (LDAP, SSSD) are
// found as well as /etc/passwd ones. Answers are cached briefly: a caller opens many connections.
import { execFileWithTimeout } from "../util/exec.js";

export interface Account {
  uid: number;
  name: string;
  /** Primary and supplementary group names. */
  groups: readonly string[];
}

export interface AccountLookup {
  /** The account of a uid; null when NSS has no such uid. Rejects when NSS cannot be asked. */
  byUid(uid: number): Promise<Account | null>;
}

const TIMEOUT_MS = 3000;

async function getent(args: string[]): Promise<string | null> {
  const r = await execFileWithTimeout("getent", args, { timeoutMs: TIMEOUT_MS, maxBytes: 1024 * 1024 });
  if (r.code === 2) return null; // "key not found"
  if (r.code !== 0) throw new Error(`getent ${args.join(" ")} exited ${r.code}`);
  return r.stdout.toString("utf8");
}

/** getent-backed lookup, cached per uid (see cachedAccounts). */
export function nssAccounts(opts: CacheOptions = {}): AccountLookup {
  return cachedAccounts(async (uid) => {
    const pw = await getent(["passwd", String(uid)]);
    const fields = pw?.split("\n")[0]?.split(":");
    if (!fields || fields.length < 4 || !fields[0]) return null;
    const name = fields[0];
    const gid = fields[3]!;
    const groups = new Set<string>();
    const primary = await getent(["group", gid]);
    const primaryName = primary?.split(":")[0];
    if (primaryName) groups.add(primaryName);
    // Supplementary groups: every group line that lists the user.
    const all = (await getent(["group"])) ?? "";
    for (const line of all.split("\n")) {
      const f = line.split(":");
      if (f.length >= 4 && f[0] && f[3]!.split(",").includes(name)) groups.add(f[0]);
    }
    return { uid, name, groups: [...groups] };
  }, opts);
}

export interface CacheOptions {
  /** The oldest answer used at all (a changed group membership counts within this), default 30 s. */
  ttlMs?: number;
  /** From this age on, an answer is still used but read again meanwhile; default two thirds of ttlMs. */
  refreshMs?: number;
  now?: () => number;
}

/**
 * `fetch` cached per uid. A caller opens many connections, and each lookup is three getent
 * processes: an answer younger than refreshMs is used as it is; one up to ttlMs old is used while a
 * fresh one is read in the background (so a steady caller never waits for getent, and still sees a
 * changed account within ttlMs); an older one is waited for. A failed lookup is not kept.
 */
export function cachedAccounts(fetch: (uid: number) => Promise<Account | null>, opts: CacheOptions = {}): AccountLookup {
  const ttl = opts.ttlMs ?? 30_000;
  const refreshAfter = opts.refreshMs ?? Math.floor((ttl * 2) / 3);
  const now = opts.now ?? Date.now;
  const cache = new Map<number, { at: number; value: Promise<Account | null>; refreshing: boolean }>();
  const read = (uid: number) => {
    const entry = { at: now(), value: fetch(uid), refreshing: false };
    entry.value.catch(() => {
      if (cache.get(uid) === entry) cache.delete(uid); // retried next time
    });
    return entry;
  };
  return {
    byUid(uid) {
      const hit = cache.get(uid);
      const age = hit ? now() - hit.at : Infinity;
      if (hit && age >= 0 && age < refreshAfter) return hit.value;
      if (hit && age >= 0 && age < ttl) {
        if (!hit.refreshing) {
          hit.refreshing = true;
          const next = read(uid);
          next.value.then(
            () => cache.get(uid) === hit && cache.set(uid, next),
            () => (hit.refreshing = false), // keep the answer in hand; the next call tries again
          );
        }
        return hit.value;
      }
      const entry = read(uid);
      cache.set(uid, entry);
      return entry.value;
    },
  };
}

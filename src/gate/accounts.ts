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

/** getent-backed lookup with a per-uid cache of `ttlMs`. */
export function nssAccounts(opts: { ttlMs?: number; now?: () => number } = {}): AccountLookup {
  const ttl = opts.ttlMs ?? 30_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<number, { at: number; value: Promise<Account | null> }>();
  const fetch = async (uid: number): Promise<Account | null> => {
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
  };
  return {
    byUid(uid) {
      const hit = cache.get(uid);
      if (hit && now() - hit.at < ttl) return hit.value;
      const value = fetch(uid);
      cache.set(uid, { at: now(), value });
      value.catch(() => cache.delete(uid)); // a failed lookup is retried next time
      return value;
    },
  };
}

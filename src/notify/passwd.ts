// User name → uid from an /etc/passwd-format file, so a terminal is written to only when its owner
// is the user the notice is for.
import { readFile } from "node:fs/promises";

export const DEFAULT_PASSWD_PATH = "/etc/passwd";

/** `name:x:uid:gid:gecos:home:shell` lines → name → uid. Comments and malformed lines are skipped. */
export function parsePasswd(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const f = line.split(":");
    if (f.length < 4 || !f[0] || !/^\d+$/.test(f[2] ?? "")) continue;
    if (!out.has(f[0])) out.set(f[0], Number(f[2]));
  }
  return out;
}

/** The user's uid, or null when the file has no such user (directory users) or can't be read. */
export async function lookupUid(user: string, path: string = DEFAULT_PASSWD_PATH): Promise<number | null> {
  try {
    return parsePasswd(await readFile(path, "utf8")).get(user) ?? null;
  } catch {
    return null;
  }
}

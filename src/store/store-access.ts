// Whether this caller may read a database file, told apart from its absence: a store that is only
// unreadable must never read as "nothing recorded".
import { accessSync, constants, statSync } from "node:fs";

export type StoreAccess = { kind: "absent" } | { kind: "readable" } | { kind: "unreadable"; why: string };

const WHY: Record<string, string> = { EACCES: "permission denied", EPERM: "not permitted", ELOOP: "too many links", EIO: "input/output error" };

export function storeAccess(path: string): StoreAccess {
  try {
    statSync(path);
    accessSync(path, constants.R_OK);
    return { kind: "readable" };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    if (code === "ENOENT" || code === "ENOTDIR") return { kind: "absent" };
    return { kind: "unreadable", why: WHY[code] ?? (e instanceof Error ? e.message : String(e)) };
  }
}

/** The plain sentence for a store this caller may not read. */
export function unreadableStoreText(what: string, path: string, why: string): string {
  return `cannot read ${what} ${path}: ${why} (the system's state belongs to root; an admin may let a group read it: chgrp GROUP on the state directory and its files, then g+rx and g+r)`;
}

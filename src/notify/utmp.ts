// The login records (`/var/run/utmp`), read directly: glibc `struct utmp` on Linux x86-64 and
// aarch64, 384 bytes a record, little-endian. No `who` subprocess.
//
//   offset size field
//        0    2 ut_type (short; USER_PROCESS = 7), 2 bytes padding
//        4    4 ut_pid
//        8   32 ut_line  ("pts/3", "tty1"; relative to /dev)
//       40    4 ut_id
//       44   32 ut_user
//       76  256 ut_host
//      332    4 ut_exit, 336 ut_session, 340 ut_tv (2 x int32), 348 ut_addr_v6, 364 unused[20]
import { readFile } from "node:fs/promises";

export const UTMP_RECORD_SIZE = 384;
export const USER_PROCESS = 7;
export const DEFAULT_UTMP_PATH = "/var/run/utmp";

export interface UtmpEntry {
  type: number;
  pid: number;
  line: string;
  user: string;
  host: string;
  /** Login time, epoch seconds. */
  loginS: number;
}

/** Every complete record in the buffer (a trailing partial record is ignored). */
export function parseUtmp(buf: Buffer): UtmpEntry[] {
  const out: UtmpEntry[] = [];
  for (let off = 0; off + UTMP_RECORD_SIZE <= buf.length; off += UTMP_RECORD_SIZE) {
    out.push({
      type: buf.readInt16LE(off),
      pid: buf.readInt32LE(off + 4),
      line: cString(buf, off + 8, 32),
      user: cString(buf, off + 44, 32),
      host: cString(buf, off + 76, 256),
      loginS: buf.readInt32LE(off + 340),
    });
  }
  return out;
}

/**
 * The terminal lines ("pts/3") of a user's live login sessions, deduplicated, in file order.
 * Lines that could point outside /dev (absolute, "..", odd characters) are dropped.
 */
export function userTtyLines(entries: readonly UtmpEntry[], user: string): string[] {
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.type !== USER_PROCESS || e.user !== user || !isSafeTtyLine(e.line)) continue;
    seen.add(e.line);
  }
  return [...seen];
}

export function isSafeTtyLine(line: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(line) && !line.split("/").includes("..") && !line.includes("//");
}

/** Reads and parses the file; null when there is no such file (systems without utmp). */
export async function readUtmp(path: string = DEFAULT_UTMP_PATH): Promise<UtmpEntry[] | null> {
  try {
    return parseUtmp(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

function cString(buf: Buffer, start: number, size: number): string {
  const end = buf.indexOf(0, start);
  const stop = end === -1 || end > start + size ? start + size : end;
  return buf.toString("latin1", start, stop);
}

/** Builds one record (tests and tools that need a utmp file). */
export function encodeUtmpRecord(e: Partial<UtmpEntry> & { line: string; user: string }): Buffer {
  const b = Buffer.alloc(UTMP_RECORD_SIZE);
  b.writeInt16LE(e.type ?? USER_PROCESS, 0);
  b.writeInt32LE(e.pid ?? 0, 4);
  b.write(e.line.slice(0, 32), 8, "latin1");
  b.write(e.user.slice(0, 32), 44, "latin1");
  b.write((e.host ?? "").slice(0, 256), 76, "latin1");
  b.writeInt32LE(e.loginS ?? 0, 340);
  return b;
}

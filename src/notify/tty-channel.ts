// Writes a message to every terminal where the user is logged in (like `write`/`wall`), found in
// utmp. Safe against a stuck terminal and against writing to someone else's:
// - opened O_WRONLY|O_NOCTTY|O_NONBLOCK, so neither open nor write can block the daemon (a full
//   terminal gives EAGAIN, reported as a failure), and each terminal has a deadline;
// - the device is fstat-ed after opening (no race with a re-used line) and must be owned by the
//   user's uid from /etc/passwd. A user missing from that file (directory users) can't be checked:
//   utmp, which only root writes, is then trusted, except that a root-owned terminal is refused.
// - the utmp line must be a plain relative name under /dev ("pts/3"), never "../" or absolute.
// Where there is no utmp file at all (hosts that only have systemd-logind), the user's terminals
// are the entries of /dev/pts owned by their uid (known from passwd), checked the same way.
import { constants } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { isatty } from "node:tty";
import type { DeliveryResult } from "../model/notice.js";
import { errorText } from "../errors.js";
import { DEFAULT_PASSWD_PATH, lookupUid } from "./passwd.js";
import { DEFAULT_UTMP_PATH, readUtmp, userTtyLines } from "./utmp.js";
import { withTimeout } from "./timeout.js";

export interface TtyChannelOptions {
  utmpPath?: string; // default /var/run/utmp
  devRoot?: string; // default /dev
  passwdPath?: string; // default /etc/passwd
  timeoutMs?: number; // per terminal, default 2000
  /** Refuse anything that isn't a character device that is a terminal (default true; tests use plain files). */
  requireTty?: boolean;
}

/** One result per terminal of the user; an empty list when the user has no login session. */
export async function deliverToTtys(user: string, text: string, opts: TtyChannelOptions = {}): Promise<DeliveryResult[]> {
  const utmpPath = opts.utmpPath ?? DEFAULT_UTMP_PATH;
  const devRoot = (opts.devRoot ?? "/dev").replace(/\/+$/, "");
  const uid = await lookupUid(user, opts.passwdPath ?? DEFAULT_PASSWD_PATH);
  let lines: string[];
  try {
    const entries = await readUtmp(utmpPath);
    // No utmp at all (systemd-only hosts): the user's own pseudo-terminals, when their uid is known.
    lines = entries === null ? (uid === null ? [] : await ownedPtys(devRoot, uid)) : userTtyLines(entries, user);
  } catch (e) {
    return [{ channel: "tty", target: utmpPath, ok: false, error: `cannot read login records: ${errorText(e)}` }];
  }
  if (lines.length === 0) return [];
  const payload = Buffer.from(toTerminalText(text), "latin1");
  return Promise.all(
    lines.map(async (line): Promise<DeliveryResult> => {
      const target = `${devRoot}/${line}`;
      try {
        await withTimeout(writeTerminal(target, payload, uid, opts.requireTty ?? true), opts.timeoutMs ?? 2000, `writing to ${target}`);
        return { channel: "tty", target, ok: true, error: null };
      } catch (e) {
        return { channel: "tty", target, ok: false, error: errorText(e) };
      }
    }),
  );
}

/** "pts/N" for every entry of <devRoot>/pts owned by uid (ptmx excluded), in numeric order. */
async function ownedPtys(devRoot: string, uid: number): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(`${devRoot}/pts`);
  } catch {
    return [];
  }
  const owned: string[] = [];
  for (const n of names.filter((x) => /^\d+$/.test(x)).sort((a, b) => Number(a) - Number(b))) {
    const st = await stat(`${devRoot}/pts/${n}`).catch(() => null);
    if (st?.uid === uid) owned.push(`pts/${n}`);
  }
  return owned;
}

/** A blank line first (the cursor may be mid-line), CRLF line ends (raw-mode terminals). */
export function toTerminalText(text: string): string {
  return "\r\n" + text.replace(/\r?\n/g, "\r\n");
}

async function writeTerminal(path: string, payload: Buffer, uid: number | null, requireTty: boolean): Promise<void> {
  const fh = await open(path, constants.O_WRONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (requireTty && !(st.isCharacterDevice() && isatty(fh.fd))) throw new Error("not a terminal");
    if (uid !== null && st.uid !== uid) throw new Error(`terminal owned by uid ${st.uid}, not the user's uid ${uid}`);
    if (uid === null && st.uid === 0) throw new Error("user not in the passwd file and terminal owned by root");
    let off = 0;
    while (off < payload.length) {
      const { bytesWritten } = await fh.write(payload, off, payload.length - off);
      if (bytesWritten <= 0) throw new Error("terminal accepted no output");
      off += bytesWritten;
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

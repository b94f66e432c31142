// Appends a notice to a file inside the container (default /workspace/.ds01-alerts), for owners who
// are not logged in on a terminal (VS Code, Jupyter). Two ways in, so that every running container
// can be told, with or without a shell:
// - the Engine API's archive endpoint (no process runs in the container, no shell needed, works on
//   scratch/distroless images): the file is read out (archive GET), the notice appended, and the
//   whole file put back (archive PUT, a tar). An existing file keeps its owner and mode; a new one is
//   root's, mode 0644. It needs a writable place: a read-only root filesystem fails here unless the
//   path is on a writable volume, and the archive endpoint cannot see tmpfs mounts (nor /proc,
//   /sys, /dev, which are refused);
// - `docker exec sh -c 'mkdir -p … && cat >> …'` as the container's user, with the text on stdin
//   and the path as a positional argument (never spliced into the script).
// The archive goes first when the file's directory exists. When it does not, exec goes first (it
// creates the directory as the container's user, as before); without a shell the archive then
// creates the missing directories (root's, 0755). Either way the other is tried when the first fails.
import { posix } from "node:path";
import type { DeliveryResult } from "../model/notice.js";
import type { ContainerRuntime } from "../model/ports.js";
import { errorText } from "../errors.js";
import { firstTarEntry, writeTar, type TarEntry } from "./tar.js";

export const DEFAULT_CONTAINER_ALERT_FILE = "/workspace/.ds01-alerts";
const APPEND_SCRIPT = 'mkdir -p -- "$1" && cat >> "$2"';
/** A bigger alert file is not read back: it is started afresh (with a line saying so). */
export const MAX_ALERT_FILE_BYTES = 1024 * 1024;

export type ContainerFileRuntime = Pick<ContainerRuntime, "exec" | "inspect" | "statPath" | "copyFrom" | "copyTo">;

export interface ContainerFileOptions {
  path?: string;
  timeoutMs?: number; // default 10000
  /** Epoch seconds for the tar entries' mtime (tests). */
  nowS?: () => number;
}

/** The exec command line that appends stdin to `path` (exported for the tests and for `explain`). */
export function appendCommand(path: string): string[] {
  return ["sh", "-c", APPEND_SCRIPT, "ds01-notify", posix.dirname(path), path];
}

export async function appendToContainerFile(runtime: ContainerFileRuntime, containerId: string, text: string, opts: ContainerFileOptions = {}): Promise<DeliveryResult> {
  const path = opts.path ?? DEFAULT_CONTAINER_ALERT_FILE;
  const target = `container ${containerId.slice(0, 12)}:${path}`;
  const fail = (error: string, via?: DeliveryResult["via"]): DeliveryResult => ({ channel: "container_file", target, ok: false, error, ...(via ? { via } : {}) });
  if (!posix.isAbsolute(path) || path.split("/").includes("..") || path.endsWith("/")) {
    return fail(`alert file path must be absolute without "..": ${path}`);
  }
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const line = text.endsWith("\n") ? text : `${text}\n`;
  try {
    const c = await runtime.inspect(containerId);
    if (!c) return fail("no such container");
    if (c.state !== "running") return fail(`container is ${c.state}, not running`);
    const dirThere = (await runtime.statPath(containerId, posix.dirname(path), { timeoutMs }))?.isDir === true;
    const archive = () => appendViaArchive(runtime, containerId, path, line, timeoutMs, opts.nowS ?? (() => Date.now() / 1000));
    const exec = () => appendViaExec(runtime, containerId, path, line, timeoutMs);
    const [first, second] = dirThere ? [archive, exec] : [exec, archive];
    const a = await first();
    if (a.ok) return { channel: "container_file", target, ok: true, error: null, via: a.via };
    // Either way an exec has now run in the container (its CPU is ds01's, not the owner's).
    const b = await second();
    if (b.ok) return { channel: "container_file", target, ok: true, error: null, via: "exec" };
    return fail(`${a.via}: ${a.error}; ${b.via}: ${b.error}`, "exec");
  } catch (e) {
    return fail(errorText(e));
  }
}

type Attempt = { ok: true; via: "archive" | "exec" } | { ok: false; via: "archive" | "exec"; error: string };

async function appendViaExec(runtime: ContainerFileRuntime, id: string, path: string, line: string, timeoutMs: number): Promise<Attempt> {
  try {
    const { exitCode } = await runtime.exec(id, appendCommand(path), { stdin: line, timeoutMs });
    if (exitCode === 0) return { ok: true, via: "exec" };
    return { ok: false, via: "exec", error: exitCode === null ? "exit status unknown" : `exit status ${exitCode}` };
  } catch (e) {
    return { ok: false, via: "exec", error: errorText(e) };
  }
}

/** Read, append, put back through the archive endpoint; creates missing directories. */
async function appendViaArchive(runtime: ContainerFileRuntime, id: string, path: string, line: string, timeoutMs: number, nowS: () => number): Promise<Attempt> {
  // The archive endpoint writes into the container's own filesystem and volumes; the kernel's
  // mounts over it (/proc, /sys, /dev) would hide what it wrote.
  if (/^\/(proc|sys|dev)(\/|$)/.test(path)) return { ok: false, via: "archive", error: `${path} is on a kernel filesystem the archive endpoint cannot reach` };
  try {
    const t = { timeoutMs };
    const name = posix.basename(path);
    let previous: Buffer = Buffer.alloc(0);
    let owner = { uid: 0, gid: 0, mode: 0o644 };
    const stat = await runtime.statPath(id, path, t);
    if (stat) {
      if (stat.isDir || stat.isSymlink) return { ok: false, via: "archive", error: `${path} is not a regular file` };
      if (stat.size > MAX_ALERT_FILE_BYTES) {
        previous = Buffer.from(`(ds01: earlier notices removed, the file had grown past ${MAX_ALERT_FILE_BYTES} bytes)\n`);
      } else {
        const tar = await runtime.copyFrom(id, path, t);
        const head = tar ? firstTarEntry(tar) : null;
        if (head) {
          if (head.typeflag !== "0") return { ok: false, via: "archive", error: `${path} is not a regular file` };
          previous = head.content;
          owner = { uid: head.uid, gid: head.gid, mode: head.mode };
        }
      }
    }
    // The deepest directory on the way that exists; the rest is created by the archive.
    const missing: string[] = [];
    let base = posix.dirname(path);
    for (;;) {
      const s = base === "/" ? { isDir: true } : await runtime.statPath(id, base, t);
      if (s) {
        if (!s.isDir) return { ok: false, via: "archive", error: `${base} is not a directory` };
        break;
      }
      missing.unshift(posix.basename(base));
      base = posix.dirname(base);
    }
    const mtimeS = nowS();
    const entries: TarEntry[] = missing.map((_, i) => ({ name: `${missing.slice(0, i + 1).join("/")}/`, type: "dir", mode: 0o755, uid: 0, gid: 0, mtimeS }));
    entries.push({ name: [...missing, name].join("/"), type: "file", ...owner, mtimeS, content: Buffer.concat([previous, Buffer.from(line, "utf8")]) });
    await runtime.copyTo(id, base, writeTar(entries), t);
    return { ok: true, via: "archive" };
  } catch (e) {
    return { ok: false, via: "archive", error: errorText(e) };
  }
}

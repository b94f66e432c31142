// The client-facing socket file: created for the gate, mode 0660, group gate.socket_group, and
// never stolen from a process that still listens on it.
import { chown, chmod, lstat, mkdir, unlink } from "node:fs/promises";
import { connect } from "node:net";
import { dirname } from "node:path";
import { execFileWithTimeout } from "../util/exec.js";

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(1000, () => done(true)); // something holds it and does not answer: don't steal it
    s.on("connect", () => done(true));
    s.on("error", () => done(false));
  });
}

/** Makes `path` free for listening: refuses a live socket or a non-socket file, removes a stale one. */
export async function prepareSocketPath(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; move it away first`);
  if (await answers(path)) throw new Error(`${path} is in use by another process (dockerd or another gate?); the gate needs it for itself`);
  await unlink(path);
}

export async function groupId(name: string): Promise<number | null> {
  const r = await execFileWithTimeout("getent", ["group", name], { timeoutMs: 3000, maxBytes: 1024 * 1024 });
  if (r.code !== 0) return null;
  const gid = r.stdout.toString("utf8").split(":")[2];
  return gid !== undefined && /^\d+$/.test(gid) ? Number(gid) : null;
}

/** Mode 0660, owner root, group `group` (when it exists). Returns a warning, or null. */
export async function secureSocket(path: string, group: string): Promise<string | null> {
  await chmod(path, 0o660);
  const gid = await groupId(group);
  if (gid === null) return `group "${group}" does not exist, so only root can use ${path}; create it or set gate.socket_group`;
  await chown(path, 0, gid);
  return null;
}

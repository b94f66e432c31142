// Root in a container is uid 0 on the host unless dockerd remaps user namespaces, so a container
// with a bind of the caller's home can leave a root-owned setuid program there, which the caller
// then runs on the host as root. The gate cannot stop that per request (the setuid bit is set on the
// inode; a nosuid mount inside the container does not protect the host's path), so it checks at
// start that the host is safe by construction and says loudly when it is not.
import { readFile } from "node:fs/promises";

/** One mount from /proc/self/mountinfo: where it is mounted and its per-mount options. */
export interface MountEntry {
  mountPoint: string;
  options: readonly string[];
}

/** Parses /proc/self/mountinfo (fields 5 and 6: mount point, per-mount options; octal escapes as the kernel writes them). */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 6 || f[4] === undefined || f[5] === undefined) continue;
    out.push({ mountPoint: f[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), options: f[5].split(",") });
  }
  return out;
}

/** The mount a path lives on: the last-mounted entry whose mount point is the longest prefix of it. */
export function mountOf(mounts: readonly MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const inside = m.mountPoint === "/" || path === m.mountPoint || path.startsWith(`${m.mountPoint}/`);
    if (inside && (best === undefined || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/** The fixed part of an allowed bind root (`/home/{user}` → `/home`): every user's bind lies under it. */
export function fixedPrefix(root: string): string {
  const cut = root.indexOf("{");
  // A template's fixed part ends at the last "/" before the first placeholder ("/data/g-{user}" → "/data").
  const head = cut < 0 ? root : root.slice(0, root.lastIndexOf("/", cut) + 1);
  const trimmed = head.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/** Whether dockerd remaps container root to an unprivileged host uid (docker info's SecurityOptions). */
export function enginesRemapsRoot(info: unknown): boolean {
  const opts = (info as { SecurityOptions?: unknown } | null)?.SecurityOptions;
  return Array.isArray(opts) && opts.some((o) => typeof o === "string" && o.split(",").includes("name=userns"));
}

/**
 * The allowed bind roots through which a container could plant a setuid program or a device node
 * on the host: none when dockerd remaps root; otherwise each root whose mount lacks nosuid or nodev.
 */
export function exposedBindRoots(roots: readonly string[], mounts: readonly MountEntry[], remapsRoot: boolean): { root: string; mountPoint: string; missing: string[] }[] {
  if (remapsRoot) return [];
  const out: { root: string; mountPoint: string; missing: string[] }[] = [];
  for (const root of roots) {
    const m = mountOf(mounts, fixedPrefix(root));
    const missing = ["nosuid", "nodev"].filter((o) => !m?.options.includes(o));
    if (missing.length > 0) out.push({ root, mountPoint: m?.mountPoint ?? "/", missing });
  }
  return out;
}

const MOUNTINFO_LIMIT = 4 * 1024 * 1024;

/** Reads this process's mount table (bounded: the kernel writes it at once; a huge one is cut, not waited on). */
export async function readMountInfo(path = "/proc/self/mountinfo"): Promise<MountEntry[]> {
  const text = await readFile(path, "utf8");
  return parseMountInfo(text.length > MOUNTINFO_LIMIT ? text.slice(0, MOUNTINFO_LIMIT) : text);
}

/** The exposed roots on this host now: the engine's info (does it remap root?) and this mount table. */
export async function setuidExposure(engineInfo: () => Promise<unknown>, roots: readonly string[]): Promise<{ root: string; mountPoint: string; missing: string[] }[]> {
  const [info, mounts] = await Promise.all([engineInfo(), readMountInfo()]);
  return exposedBindRoots(roots, mounts, enginesRemapsRoot(info));
}

// A tmpfs a test mounts on a directory of its own (a full disk, a read-only state directory) and
// unmounts afterwards. Needs root and mount(8); tests skip where neither is at hand.
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), "ds01-tmpfs-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

export interface Tmpfs {
  dir: string;
  readonly(): void;
  unmount(): void;
}

/** Mounts a tmpfs of `sizeMb` on `dir` (created when missing). */
export function mountTmpfs(dir: string, sizeMb: number): Tmpfs {
  mkdirSync(dir, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m,mode=0750`, "tmpfs", dir]);
  return {
    dir,
    readonly: () => execFileSync("mount", ["-o", "remount,ro", dir]),
    unmount: () => execFileSync("umount", [dir]),
  };
}

/** Writes zeros into `file` until its file system is full (a state directory's disk filling up). */
export function fillUp(file: string): void {
  const fd = openSync(file, "w");
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    closeSync(fd);
  }
}

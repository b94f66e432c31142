// Files a process keeps for its own later runs (caches in the state directory): read only when this
// process's user owns the file and nobody else may write it, written 0600 by rename and without
// fsync (losing one costs only a slower next run). Every failure reads as "no file".
import { closeSync, fstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The file's text, or null (missing, unreadable, not a plain file, not ours, writable by others). */
export function readPrivateFile(file: string): string | null {
  try {
    const fd = openSync(file, "r");
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0) return null;
      return readFileSync(fd, "utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** Replaces `file` (best effort: a directory this process may not write is simply not written). */
export function writePrivateFile(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* nothing was written */
    }
  }
}

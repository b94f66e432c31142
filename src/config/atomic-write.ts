// Replace a file so that readers see either the old or the new content, never a torn one:
// temp file in the same directory, fsync, rename over, fsync the directory. Keeps mode and owner.
import { randomBytes } from "node:crypto";
import { chown, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export async function writeFileAtomic(file: string, text: string, defaultMode = 0o644): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let prev: { mode: number; uid: number; gid: number } | null = null;
  try {
    const st = await stat(file);
    prev = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch {
    prev = null;
  }
  const fh = await open(tmp, "wx", prev?.mode ?? defaultMode);
  try {
    await fh.writeFile(text, "utf8");
    if (prev) {
      await fh.chmod(prev.mode);
      await chown(tmp, prev.uid, prev.gid).catch(() => undefined); // only root may give files away
    }
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

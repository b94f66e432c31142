// A cheap "did the config change?" value for the daemon's hot reload: path, size, mtime and inode of
// every file loadConfig reads. Compare strings; on change call loadConfig again and keep the last good
// config if it throws.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { CONFIG_FILES } from "./loaded-config.js";

async function stamp(file: string): Promise<string> {
  try {
    const st = await stat(file);
    return `${file}:${st.size}:${st.mtimeMs}:${st.ino}:${st.mode}`;
  } catch (e) {
    return `${file}:${(e as NodeJS.ErrnoException).code ?? "error"}`;
  }
}

export async function configFingerprint(dir: string): Promise<string> {
  const files = [CONFIG_FILES.resourceLimits, CONFIG_FILES.userOverrides, CONFIG_FILES.lifecycleExemptions].map((f) => join(dir, f));
  const groupsDir = join(dir, CONFIG_FILES.groupsDir);
  let members: string[] = [];
  try {
    members = (await readdir(groupsDir)).filter((f) => f.endsWith(".members")).sort().map((f) => join(groupsDir, f));
  } catch {
    // no groups directory: no members files
  }
  const parts = await Promise.all([...files, ...members].map(stamp));
  return parts.join("\n");
}

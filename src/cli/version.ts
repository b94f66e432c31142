import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../config/locate-config-dir.js";

/** ds01's version from its package.json ("unknown" when unreadable). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/**
 * The installed package's root directory (holding package.json, deploy/ and config/). This file
 * sits two levels below it both as source (src/install/) and compiled (dist/install/).
 */
export function packageRoot(): string {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const pkg = join(root, "package.json");
  if (!existsSync(pkg) || (JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name !== "ds01") {
    throw new Error(`cannot find the ds01 package root (expected package.json in ${root})`);
  }
  return root.replace(/\/$/, "");
}

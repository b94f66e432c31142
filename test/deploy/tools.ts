import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileWithTimeout } from "../../src/util/exec.js";

/** The repository root (no trailing slash). */
export const REPO = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
export const repoPath = (...parts: string[]) => join(REPO, ...parts);

/** Absolute path of an executable on PATH, or null. */
export function which(tool: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, tool);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** Describe-title suffix saying why a block is skipped; scripts/test-tools.sh installs the tools. */
export function skipReason(tool: string): string {
  return which(tool) ? "" : ` [SKIPPED: ${tool} is not installed; run scripts/test-tools.sh]`;
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages. */
  all: string;
}

export async function runTool(tool: string, args: readonly string[], timeoutMs = 30_000, env?: NodeJS.ProcessEnv): Promise<ToolResult> {
  const r = await execFileWithTimeout(tool, args, { timeoutMs, ...(env ? { env } : {}) });
  const stdout = r.stdout.toString("utf8");
  const stderr = r.stderr.toString("utf8");
  return { code: r.code, stdout, stderr, all: `${stdout}\n${stderr}` };
}

// Real Unix users for the authority tests, each with a home and, where a test needs it, membership
// of the docker group (real Docker access, as an ordinary user with Docker has on a server). Users
// are created when missing and only those created here are removed.
import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileWithTimeout } from "../../src/util/exec.js";

export const BIN = join(import.meta.dirname, "../../bin/ds01.js");
export const ALICE = "ds01au-alice";

const created: string[] = [];

async function sh(cmd: string, args: string[]) {
  return execFileWithTimeout(cmd, args, { timeoutMs: 30_000 });
}

/** Creates `user` (home, /bin/sh) unless it exists; `groups` are supplementary groups. */
export async function ensureUser(user: string, groups: string[] = []): Promise<void> {
  if ((await sh("id", [user])).code === 0) return;
  const r = await sh("useradd", ["-m", "-s", "/bin/sh", ...(groups.length ? ["-G", groups.join(",")] : []), user]);
  if (r.code !== 0) throw new Error(`useradd ${user}: ${r.stderr.toString()}`);
  created.push(user);
}

export async function removeCreatedUsers(): Promise<void> {
  for (const u of created.splice(0)) await sh("userdel", ["-r", u]);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/ds01.js as `user` with exactly `env` (plus PATH and HOME), from the user's home. */
export async function ds01As(user: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const vars = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
  // env -i: nothing of the test runner's environment (DS01_STATE_DIR, DOCKER_HOST...) leaks in.
  const cmd = `cd ~ && exec env -i PATH=/usr/bin:/bin HOME="$HOME" USER=${quote(user)} ${vars.join(" ")} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(" ")}`;
  const r = await execFileWithTimeout("su", ["-s", "/bin/sh", user, "-c", cmd], { timeoutMs: 120_000 });
  return { code: r.code, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

/** A temp directory everyone may read and enter (for files a test user must read). */
export function sharedTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

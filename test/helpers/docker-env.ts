import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileWithTimeout } from "../../src/util/exec.js";
import { LABEL } from "../../src/constants/labels.js";

export const TEST_IMAGE = process.env.DS01_TEST_IMAGE ?? "ds01-test-busybox:latest";

/** Leftovers are test containers older than this: a younger one may belong to a run in progress. */
const LEFTOVER_AGE_MS = 2 * 3_600_000;

/** Removes old containers labelled as created by this test suite (never anything else). */
export async function removeLeftoverTestContainers(now = Date.now()): Promise<void> {
  const ps = await execFileWithTimeout("docker", ["ps", "-aq", "--filter", `label=${LABEL.testRun}`], { timeoutMs: 20_000 }).catch(() => null);
  const ids = ps?.stdout.toString().split("\n").filter(Boolean) ?? [];
  if (ids.length === 0) return;
  const inspect = await execFileWithTimeout("docker", ["inspect", "-f", "{{.Id}} {{.Created}}", ...ids], { timeoutMs: 20_000 }).catch(() => null);
  const old = (inspect?.stdout.toString().split("\n") ?? [])
    .map((l) => l.split(" "))
    .filter(([id, created]) => id && created && now - Date.parse(created) > LEFTOVER_AGE_MS)
    .map(([id]) => id as string);
  if (old.length > 0) await execFileWithTimeout("docker", ["rm", "-f", ...old], { timeoutMs: 60_000 });
}

/** An image whose only file is a static busybox: no /bin/sh, no applet links (scratch-like). */
export const NO_SHELL_IMAGE = "ds01-test-noshell:latest";

/** Builds NO_SHELL_IMAGE from this host's /bin/busybox (Debian's busybox-static) when it is missing. */
export async function ensureNoShellImage(): Promise<string> {
  const have = await execFileWithTimeout("docker", ["image", "inspect", NO_SHELL_IMAGE], { timeoutMs: 20_000 });
  if (have.code === 0) return NO_SHELL_IMAGE;
  const root = await mkdtemp(join(tmpdir(), "ds01-noshell-"));
  try {
    const script = `mkdir -p "$1/bin" && cp /bin/busybox "$1/bin/busybox" && tar -C "$1" -c . | docker import - ${NO_SHELL_IMAGE}`;
    const r = await execFileWithTimeout("sh", ["-c", script, "sh", root], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`building ${NO_SHELL_IMAGE}: ${r.stderr.toString()}`);
    return NO_SHELL_IMAGE;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

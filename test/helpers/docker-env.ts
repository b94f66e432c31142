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

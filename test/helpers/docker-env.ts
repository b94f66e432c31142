import { execFileWithTimeout } from "../../src/util/exec.js";
import { LABEL } from "../../src/constants/labels.js";

export const TEST_IMAGE = process.env.DS01_TEST_IMAGE ?? "ds01-test-busybox:latest";

/** Removes containers labelled as created by this test suite (never anything else). */
export async function removeLeftoverTestContainers(): Promise<void> {
  const ps = await execFileWithTimeout("docker", ["ps", "-aq", "--filter", `label=${LABEL.testRun}`], { timeoutMs: 20_000 }).catch(() => null);
  const ids = ps?.stdout.toString().split("\n").filter(Boolean) ?? [];
  if (ids.length > 0) await execFileWithTimeout("docker", ["rm", "-f", ...ids], { timeoutMs: 60_000 });
}

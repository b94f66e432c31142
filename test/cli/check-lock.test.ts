// `ds01 check` while the daemon holds the pass lock (taken here under the daemon's name, as the
// daemon takes it): the advice is one that can work, --dry-run runs anyway, --json stays JSON.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquirePassLock, type PassLock } from "../../src/store/index.js";
import { runCli } from "../helpers/cli.js";

let stateDir: string;
let lock: PassLock;

beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), "ds01-check-lock-"));
  const r = acquirePassLock(stateDir, "ds01 daemon");
  if (!r.acquired) throw new Error("could not take the pass lock");
  lock = r.lock;
});
afterAll(() => {
  lock.release();
  rmSync(stateDir, { recursive: true, force: true });
});

// Scoped to a label no container has, so the dry run looks at nothing of anyone else's.
const env = { ...process.env, DS01_SCOPE_LABEL: `ds01.test.run=check-lock-${process.pid}`, DS01_NVIDIA_SMI: "/nonexistent/nvidia-smi", DS01_CONFIG_DIR: "" };
const ds01 = (args: string[]) => runCli(["--state-dir", stateDir, ...args], { env, uid: 0, userName: "root" });

describe("ds01 check while the daemon runs", { timeout: 120_000 }, () => {
  it("a real pass is refused with advice that can work, not 'try again later'", async () => {
    const r = await ds01(["check"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ds01: the daemon \(ds01 daemon, pid \d+, since [^)]+\) holds the pass lock and runs this check in every pass itself; --dry-run shows what it would do now/);
    expect(r.err).not.toContain("try again later");
    const j = await ds01(["check", "--json"]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.out)).toEqual({ error: expect.stringMatching(/^the daemon .* holds the pass lock/), exit_code: 1 });
  });

  it("--dry-run needs no lock", async () => {
    const r = await ds01(["check", "--dry-run", "--json"]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ dry_run: true, docker_error: null });
  });

  it("gpu health says the same", async () => {
    const r = await ds01(["gpu", "health"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/runs the GPU health check in every pass itself/);
  });
});

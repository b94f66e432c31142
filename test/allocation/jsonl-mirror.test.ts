// A GPU allocation decided by the command itself (no daemon's broker to ask) is audited like every
// other decision: in the store and in the events.jsonl mirror the config names.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { fullGpus, writeFakeGpuState, type FakeGpus } from "../helpers/fake-gpus.js";

const R = randomBytes(4).toString("hex");
const user = `jsonl_${R}`;
let fake: FakeGpus;
let configDir: string;
let stateDir: string;
let jsonl: string;

beforeAll(async () => {
  fake = await writeFakeGpuState({ gpus: fullGpus(2, {}).map((g, i) => ({ ...g, uuid: `GPU-${R}-0000-4000-8000-${String(i).padStart(12, "0")}` })) });
  configDir = mkdtempSync(join(tmpdir(), "ds01-jsonl-config-"));
  stateDir = mkdtempSync(join(tmpdir(), "ds01-jsonl-state-"));
  jsonl = join(stateDir, "events.jsonl");
  writeFileSync(join(configDir, "resource-limits.yaml"), `defaults:\n  max_gpu_equivalents: 1.0\n  allow_full_gpu: true\nevents: { jsonl_path: ${jsonl} }\n`);
});

afterAll(() => {
  rmSync(configDir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(join(fake.path, ".."), { recursive: true, force: true });
});

const allocate = (container: string) =>
  runCli(["--config", configDir, "--state-dir", stateDir, "gpu", "allocate", "--user", user, "--container", container, "--gpus", "1", "--json"], {
    env: { ...process.env, ...fake.env, DS01_CONFIG_DIR: "", DS01_ALLOCATION_BROKER: "off" },
    uid: 0,
    userName: "root",
  });

const mirrored = () => (existsSync(jsonl) ? readFileSync(jsonl, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { event_type: string; user?: string; details?: { container?: string } }) : []);

describe("gpu allocate decided locally", { timeout: 120_000 }, () => {
  it("writes gpu.allocate and gpu.reject to events.jsonl", async () => {
    const ok = await allocate(`a-${R}`);
    expect(ok.code, ok.err).toBe(0);
    const refused = await allocate(`b-${R}`); // a second full GPU exceeds 1.0
    expect(refused.code).toBe(1);
    const mine = mirrored().filter((e) => e.user === user);
    expect(mine.map((e) => [e.event_type, e.details?.container])).toEqual([
      ["gpu.allocate", `a-${R}`],
      ["gpu.reject", `b-${R}`],
    ]);
  });
});

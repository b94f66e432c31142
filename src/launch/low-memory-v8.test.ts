import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const REGISTER = fileURLToPath(new URL("../../test/store/fixtures/register-ts.mjs", import.meta.url));
const MODULE = fileURLToPath(new URL("./low-memory-v8.ts", import.meta.url));

// A child Node with natives syntax: a hot function is warmed up after preferMemoryOverSpeed(), and
// V8 itself says whether it optimized it (%GetOptimizationStatus bit 16: optimized code).
function optimizedAfterWarmup(env: Record<string, string>): boolean {
  const script = `
    import { preferMemoryOverSpeed } from ${JSON.stringify(MODULE)};
    preferMemoryOverSpeed(process.env);
    function hot(x) { return (x * 31 + 7) % 1013; }
    let s = 0;
    for (let round = 0; round < 50; round++) for (let i = 0; i < 100000; i++) s += hot(i);
    console.log(JSON.stringify({ status: %GetOptimizationStatus(hot), s }));`;
  const out = execFileSync(process.execPath, ["--allow-natives-syntax", "--import", REGISTER, "--input-type=module", "-e", script], { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000, encoding: "utf8" });
  const { status } = JSON.parse(out.trim().split("\n").at(-1)!) as { status: number };
  return (status & 16) !== 0;
}

describe("preferMemoryOverSpeed", () => {
  it("keeps a hot function out of V8's optimizing compilers", () => {
    expect(optimizedAfterWarmup({})).toBe(false);
  });

  it("leaves them on with DS01_V8_OPTIMIZE=1 (the same warm-up is optimized then)", () => {
    expect(optimizedAfterWarmup({ DS01_V8_OPTIMIZE: "1" })).toBe(true);
  });
});

import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// Each load is its own process, as each ds01 command is (V8 would otherwise answer a second compile
// of the same source from its in-memory cache and never look at the file).
const tmp = mkdtempSync(join(tmpdir(), "ds01-code-cache-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CHILD = join(import.meta.dirname, "../../test/helpers/code-cache-child.ts");
const REGISTER_TS = join(import.meta.dirname, "../../test/store/fixtures/register-ts.mjs");

interface Loaded {
  value: number;
  answer: number;
  hits: number;
  misses: number;
  written: number;
}

let n = 0;
/** A bundle folder with two chunks, and an empty cache folder. */
function bundle(): { code: string; cache: string; load(cache?: string | null): Loaded } {
  const root = join(tmp, String(++n));
  const code = join(root, "bundle");
  const cache = join(root, "cache");
  for (const d of [code, cache]) mkdirSync(d, { recursive: true, mode: 0o700 });
  writeFileSync(join(code, "main.cjs"), `const b = require("./b.cjs"); module.exports = { value: b.x + 1, answer: () => 42 };\n`);
  writeFileSync(join(code, "b.cjs"), `exports.x = 41;\n`);
  return {
    code,
    cache,
    load: (dir: string | null = cache) => JSON.parse(execFileSync(process.execPath, ["--import", REGISTER_TS, CHILD, code, dir ?? "-"], { encoding: "utf8" })) as Loaded,
  };
}

const cacheFiles = (cache: string) => readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
const root = process.geteuid?.() === 0;

describe("the code cache", () => {
  it("a chunk compiles from its cache the second time, with the same result", () => {
    const b = bundle();
    expect(b.load()).toEqual({ value: 42, answer: 42, hits: 0, misses: 2, written: 2 });
    expect(cacheFiles(b.cache)).toHaveLength(2);
    expect(b.load()).toEqual({ value: 42, answer: 42, hits: 2, misses: 0, written: 0 });
  });

  it("a corrupt cache file is rejected: the chunk compiles as usual and its cache is written anew", () => {
    const b = bundle();
    b.load();
    for (const f of cacheFiles(b.cache)) writeFileSync(f, "not V8 data");
    expect(b.load()).toMatchObject({ value: 42, hits: 0, misses: 2, written: 2 });
    expect(b.load()).toMatchObject({ value: 42, hits: 2 });
  });

  it("a changed chunk does not meet its old cache, and the old file is removed", () => {
    const b = bundle();
    b.load();
    writeFileSync(join(b.code, "b.cjs"), `exports.x = 1;\n`);
    expect(b.load()).toMatchObject({ value: 2, hits: 1, misses: 1, written: 1 });
    expect(cacheFiles(b.cache)).toHaveLength(2);
  });

  it("a cache folder that others may write is not used (compiled as usual)", () => {
    const b = bundle();
    chmodSync(b.cache, 0o777);
    expect(b.load()).toEqual({ value: 42, answer: 42, hits: 0, misses: 0, written: 0 });
    expect(cacheFiles(b.cache)).toHaveLength(0);
  });

  it.skipIf(!root)("a cache file owned by another user is not read", () => {
    const b = bundle();
    b.load();
    for (const f of cacheFiles(b.cache)) chownSync(f, 65534, 65534);
    expect(b.load()).toMatchObject({ value: 42, hits: 0, misses: 2 });
  });

  it("a cache folder that cannot be made, or none, leaves the command working", () => {
    const b = bundle();
    const file = join(b.cache, "a-file");
    writeFileSync(file, "");
    expect(b.load(join(file, "below"))).toEqual({ value: 42, answer: 42, hits: 0, misses: 0, written: 0 });
    expect(b.load(null)).toEqual({ value: 42, answer: 42, hits: 0, misses: 0, written: 0 });
  });
});

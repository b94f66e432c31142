// Test helper: real config directories in a temp folder (no fs mocks), removed after the suite.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
export const BUNDLED = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "config", "default");

const made: string[] = [];

/** A fresh directory holding `files` (path relative to the dir → content). */
export function configDir(files: Record<string, string>, copyFrom?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ds01-config-test-"));
  made.push(dir);
  if (copyFrom) cpSync(copyFrom, dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

export function removeConfigDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Minimal valid resource-limits.yaml plus `extra` YAML appended. */
export const MINIMAL = `default_group: student
groups:
  student: {}
`;

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { AuditEvent } from "../../src/model/audit-event.js";
import type { EventType } from "../../src/constants/event-types.js";

export const T0 = Date.UTC(2025, 0, 31, 12, 0, 0);

export function tempDir(prefix = "ds01-store-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function ev(over: Partial<Omit<AuditEvent, "type">> & { type?: EventType | string } = {}): AuditEvent {
  return {
    time: T0,
    type: "container.idle_stop",
    user: "alice",
    container: "alice-job",
    containerId: "abc123def456",
    details: {},
    ...over,
  } as AuditEvent;
}

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

/** Runs a TypeScript fixture in a child node process (types stripped by fixtures/ts-hooks.mjs). */
export function spawnFixture(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", join(FIXTURES, "register-ts.mjs"), join(FIXTURES, script), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Resolves with the child's first stdout line that satisfies `match` (rejects if it exits first). */
export function waitForLine(child: ChildProcess, match: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    let errBuf = "";
    const onData = (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (match(line)) {
          child.stdout!.off("data", onData);
          child.off("exit", onExit);
          resolve(line);
          return;
        }
      }
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before the expected line; stderr: ${errBuf}`));
    child.stderr!.on("data", (d: Buffer) => (errBuf += d.toString()));
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
  });
}

/** All stdout lines until the child exits, and its exit code. */
export function collect(child: ChildProcess): Promise<{ lines: string[]; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => resolve({ lines: out.split("\n").filter(Boolean), code, stderr: err }));
  });
}

export function killAndWait(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

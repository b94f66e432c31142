// Runs the real daemon (`node bin/ds01.js ... daemon`) as a child process for tests, with its own
// config copy (tiny intervals), state dir, the nvidia-smi stand-in and a label scope, and reads its
// JSON log lines. Every wait is bounded; stop() always ends the child.
import { spawn, type ChildProcess } from "node:child_process";
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { existsSync, mkdirSync, rmdirSync, statSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LABEL } from "../../src/constants/labels.js";
import type { AuditEvent } from "../../src/model/audit-event.js";
import { openStore } from "../../src/store/index.js";
import { execFileWithTimeout } from "../../src/util/exec.js";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(REPO, "bin/ds01.js");

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or the time is up (then returns the last value). */
export async function until<T>(fn: () => Promise<T> | T, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await fn();
  while (!v && Date.now() < deadline) {
    await sleep(everyMs);
    v = await fn();
  }
  return v;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** `npm test` builds first; a lone `vitest run test/daemon` rebuilds dist/ when src/ is newer. */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), "ds01-test-build.lock");
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held for too long`);
      await sleep(250);
    }
  }
  try {
    // bin/ds01.js runs the bundle, which the second step makes from tsc's output.
    const main = join(REPO, "dist/bundle/main.cjs");
    if (existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(REPO, "src"))) return;
    const tsc = await execFileWithTimeout(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", join(REPO, "tsconfig.build.json")], { timeoutMs: 170_000 });
    const bundle = await execFileWithTimeout(process.execPath, [join(REPO, "scripts/bundle.mjs")], { timeoutMs: 60_000 });
    if (bundle.code !== 0 || !existsSync(main)) {
      throw new Error(`build failed:\n${[tsc, bundle].map((r) => `${r.stdout.toString()}${r.stderr.toString()}`).join("")}`);
    }
  } finally {
    rmdirSync(lock);
  }
}

export interface DaemonDirs {
  configDir: string;
  stateDir: string;
}

/** A copy of config/default with the daemon's intervals shortened, plus `edit` applied to resource-limits.yaml. */
export async function daemonDirs(edit: (yaml: string) => string = (y) => y): Promise<DaemonDirs> {
  const configDir = await mkdtemp(join(tmpdir(), "ds01-daemon-config-"));
  const stateDir = await mkdtemp(join(tmpdir(), "ds01-daemon-state-"));
  await cp(join(REPO, "config/default"), configDir, { recursive: true });
  const file = join(configDir, "resource-limits.yaml");
  const text = (await readFile(file, "utf8"))
    .replace("sample_interval_s: 30 ", "sample_interval_s: 1  ")
    .replace("pass_interval_s: 300 ", "pass_interval_s: 2   ")
    .replace("probe_timeout_s: 10", "probe_timeout_s: 2");
  await writeFile(file, edit(text));
  return { configDir, stateDir };
}

export interface LogLine {
  time: string;
  level: string;
  msg: string;
  [k: string]: unknown;
}

export interface DaemonChild {
  child: ChildProcess;
  pid: number;
  /** http://127.0.0.1:PORT */
  url: string;
  lines: LogLine[];
  /** Non-JSON output (errors printed by the CLI). */
  text(): string;
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs: number, from?: number): Promise<LogLine | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions extends DaemonDirs {
  env?: Record<string, string>;
  runId: string;
  args?: string[];
  /** Wait for the "listening" line (default true). */
  waitListening?: boolean;
}

export function spawnDs01(opts: SpawnOptions, command: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, "--config", opts.configDir, "--state-dir", opts.stateDir, ...command], {
    env: { ...process.env, DS01_LOG_LEVEL: "debug", ...opts.env, DS01_SCOPE_LABEL: `${LABEL.testRun}=${opts.runId}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** A chunk handler for a stream of text lines: calls `onLine` with each whole line (without its newline). */
export function byLine(onLine: (line: string) => void): (chunk: Buffer) => void {
  let buf = "";
  return (chunk) => {
    buf += chunk.toString("utf8");
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf("\n");
      onLine(line);
    }
  };
}

export async function startDaemon(opts: SpawnOptions): Promise<DaemonChild> {
  const child = spawnDs01(opts, ["daemon", "--listen", "127.0.0.1:0", ...(opts.args ?? [])]);
  const lines: LogLine[] = [];
  let other = "";
  const take = byLine((line) => {
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      other += line + "\n";
    }
  });
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => (done = true));
  const waitForLog = async (pred: (l: LogLine) => boolean, timeoutMs: number, from = 0): Promise<LogLine | null> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = lines.slice(from).find(pred);
      if (hit) return hit;
      if (done || Date.now() > deadline) return null;
      await sleep(50);
    }
  };
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (!done) child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const r = await exited;
    clearTimeout(timer);
    return r;
  };
  let url = "";
  if (opts.waitListening ?? true) {
    const l = await waitForLog((x) => x.msg === "listening", 30_000);
    if (!l || typeof l.address !== "string") {
      await stop("SIGKILL");
      throw new Error(`daemon did not start listening:\n${JSON.stringify(lines, null, 1)}\n${other}`);
    }
    url = `http://${l.address}`;
  }
  return { child, pid: child.pid!, url, lines, text: () => other, waitForLog, exited, stop };
}

/** `name{labels}` → value, from a /metrics scrape. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
  const out = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

export async function healthz(url: string): Promise<{ status: number; body: { status: string; reasons: string[]; warnings: string[] } }> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as { status: string; reasons: string[]; warnings: string[] } };
}

/** The audit log, read the way `ds01 events` reads it (read-only, beside the running daemon). */
export function auditEvents(stateDir: string, type?: string): AuditEvent[] {
  if (!existsSync(join(stateDir, "ds01.sqlite"))) return [];
  const store = openStore(stateDir, { readonly: true });
  try {
    return store.query(type ? { type } : {});
  } finally {
    store.close();
  }
}

/** A ds01 child's exit code and output; killed (SIGKILL) after `timeoutMs`. */
export function childOutput(child: ChildProcess, timeoutMs = 30_000): Promise<{ code: number | null; out: string; err: string }> {
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) => child.once("exit", (code) => (clearTimeout(timer), resolve({ code, out, err }))));
}

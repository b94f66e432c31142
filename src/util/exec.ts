import { spawn } from "node:child_process";
import { TransientError } from "../errors.js";

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ExecOptions {
  timeoutMs: number;
  /** Stop reading (and kill) past this many bytes of stdout, so a runaway tool can't eat memory. */
  maxBytes?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
}

/**
 * Runs a program (no shell) with a hard timeout: SIGTERM at the deadline, SIGKILL 2 s later.
 * Rejects with TransientError on a timeout, a spawn failure or oversized output; a non-zero exit
 * is returned, not thrown, so callers decide what it means.
 */
export function execFileWithTimeout(file: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let failure: TransientError | null = null;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (why: TransientError) => {
      failure ??= why;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), 2000);
      killTimer.unref();
    };
    const timer = setTimeout(
      () => kill(new TransientError(`${file} ${args.join(" ")} timed out after ${opts.timeoutMs} ms`, file)),
      opts.timeoutMs,
    );
    child.stdout.on("data", (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxBytes) kill(new TransientError(`${file} printed more than ${maxBytes} bytes`, file));
      else out.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (err.length < 1024) err.push(chunk);
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new TransientError(`cannot run ${file}: ${e.message}`, file, { cause: e }));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      if (failure) reject(failure);
      else resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), code, signal });
    });
    child.stdin.on("error", () => undefined); // the program may exit without reading its input
    child.stdin.end(opts.input ?? "");
  });
}

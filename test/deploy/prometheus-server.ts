import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A real Prometheus server (Debian's `prometheus` binary) on a random loopback port with its own
// temporary storage, for tests. Every wait is bounded; stop() always kills it and removes storage.

export interface PrometheusServer {
  url: string;
  /** Recent log output, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** GET a Prometheus API path and return the parsed JSON body (any status), within timeoutMs. */
export async function promGet<T = unknown>(url: string, timeoutMs = 5000): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: (await res.json()) as T };
}

export async function startPrometheus(opts: { configFile: string; readyTimeoutMs?: number }): Promise<PrometheusServer> {
  const storage = mkdtempSync(join(tmpdir(), "ds01-prometheus-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    "prometheus",
    [
      `--config.file=${opts.configFile}`,
      `--storage.tsdb.path=${storage}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--storage.tsdb.retention.time=1h",
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let logText = "";
  const keep = (chunk: Buffer) => {
    logText = (logText + chunk.toString("utf8")).slice(-20_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
    child.once("error", (e) => {
      keep(Buffer.from(`spawn error: ${e.message}\n`));
      exited = true;
      resolve();
    });
  });

  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const killTimer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(killTimer);
    }
    rmSync(storage, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`prometheus exited before it was ready:\n${logText}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within ${opts.readyTimeoutMs ?? 30_000} ms:\n${logText}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, log: () => logText, stop };
}

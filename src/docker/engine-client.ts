// A small, dockerode-backed client for the Docker Engine API: every request has a deadline, every
// failure becomes a TransientError (source "docker") carrying the HTTP status when there was one.
// Other adapters (e.g. container creation) build on `request`/`stream` without touching dockerode.
import Dockerode from "dockerode";
import type { Readable } from "node:stream";
import type { z } from "zod";
import { TransientError } from "../errors.js";

export const DEFAULT_DOCKER_TIMEOUT_MS = 10_000;

export interface EngineClientOptions {
  /** Overrides DOCKER_HOST (e.g. "unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"). */
  dockerHost?: string;
  /** Default deadline of a request, in ms. */
  timeoutMs?: number;
}

export interface EngineRequest {
  method: "GET" | "POST" | "DELETE" | "PUT" | "HEAD";
  /** Path with a trailing "?" when `query` is given, as docker-modem expects (e.g. "/containers/json?"). */
  path: string;
  query?: Record<string, unknown>;
  body?: unknown;
  /** HTTP statuses that count as success; others throw EngineError. Default 200/201/204. */
  ok?: readonly number[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** An Engine API error with the HTTP status it came with (null: no answer at all). */
export class EngineError extends TransientError {
  constructor(
    message: string,
    readonly statusCode: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, "docker", options);
  }
}

interface ModemLike {
  dial(options: Record<string, unknown>, cb: (err: (Error & { statusCode?: number; json?: unknown }) | null, data: unknown) => void): void;
  socketPath?: unknown;
  host?: unknown;
  port?: unknown;
}

function describeTarget(modem: ModemLike): string {
  if (typeof modem.socketPath === "string") return `unix://${modem.socketPath}`;
  if (modem.host) return `${String(modem.host)}:${String(modem.port ?? "")}`;
  return "docker";
}

export function dockerodeFor(dockerHost?: string): Dockerode {
  if (!dockerHost) return new Dockerode();
  if (dockerHost.startsWith("unix://")) return new Dockerode({ socketPath: dockerHost.slice("unix://".length) });
  const u = new URL(dockerHost.replace(/^tcp:/, "http:"));
  return new Dockerode({ host: u.hostname, port: u.port || 2375, protocol: u.protocol === "https:" ? "https" : "http" });
}

export class EngineClient {
  readonly docker: Dockerode;
  readonly timeoutMs: number;
  readonly target: string;
  private readonly modem: ModemLike;

  constructor(opts: EngineClientOptions = {}) {
    this.docker = dockerodeFor(opts.dockerHost);
    this.modem = this.docker.modem as unknown as ModemLike;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS;
    this.target = describeTarget(this.modem);
  }

  /**
   * One request/response call; resolves to the parsed JSON body (a Buffer for a non-JSON body, null
   * for none). Statuses outside `ok` reject with an EngineError carrying the status.
   */
  async request(req: EngineRequest): Promise<unknown> {
    const statusCodes: Record<number, boolean> = {};
    for (const s of req.ok ?? [200, 201, 204]) statusCodes[s] = true;
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const what = `${req.method} ${req.path.replace(/\?$/, "")}`;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    req.signal?.addEventListener("abort", onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new EngineError(`docker engine at ${this.target}: ${what} timed out after ${timeoutMs} ms`, null));
      }, timeoutMs);
    });
    const call = new Promise<unknown>((resolve, reject) => {
      // docker-modem sends `_query` as the query string and `_body` as the JSON body ({} = none).
      const options = { _query: req.query ?? {}, _body: req.body ?? {} };
      this.modem.dial({ path: req.path, method: req.method, options, statusCodes, abortSignal: controller.signal }, (err, data) => {
        if (err) reject(this.wrap(err, what));
        else resolve(data ?? null);
      });
    });
    try {
      return await Promise.race([call, deadline]);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Sends a request and parses the body through `schema`; a body that does not fit is a TransientError. */
  async json<T>(req: EngineRequest, schema: z.ZodType<T>): Promise<T> {
    const body = await this.request(req);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new EngineError(`docker engine at ${this.target}: unexpected answer to ${req.method} ${req.path.replace(/\?$/, "")}: ${parsed.error.message.slice(0, 300)}`, null);
    }
    return parsed.data;
  }

  /** A streaming GET (events, logs). The connect phase has the usual deadline; the stream itself runs until `signal` aborts. */
  async stream(path: string, query: Record<string, unknown>, signal: AbortSignal, connectTimeoutMs = this.timeoutMs): Promise<Readable> {
    const what = `GET ${path.replace(/\?$/, "")}`;
    let timer: NodeJS.Timeout | undefined;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const call = new Promise<Readable>((resolve, reject) => {
      this.modem.dial(
        { path, method: "GET", options: { _query: query }, isStream: true, statusCodes: { 200: true, 400: "bad request", 500: "server error" }, abortSignal: controller.signal },
        (err, data) => (err ? reject(this.wrap(err, what)) : resolve(data as Readable)),
      );
    });
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new EngineError(`docker engine at ${this.target}: ${what} did not answer within ${connectTimeoutMs} ms`, null));
      }, connectTimeoutMs);
    });
    try {
      const s = await Promise.race([call, deadline]);
      if (signal.aborted) s.destroy();
      else signal.addEventListener("abort", () => s.destroy(), { once: true });
      return s;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
  }

  private wrap(err: Error & { statusCode?: number; json?: unknown }, what: string): EngineError {
    if (err instanceof EngineError) return err;
    const status = typeof err.statusCode === "number" ? err.statusCode : null;
    const msg = status === null ? `docker engine at ${this.target} unreachable (${what}): ${err.message}` : `docker engine at ${this.target}: ${what} failed: ${err.message.trim()}`;
    return new EngineError(msg, status, { cause: err });
  }
}

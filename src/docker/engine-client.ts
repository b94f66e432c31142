// A small client for the Docker Engine API: every request has a deadline, every failure becomes a
// TransientError (source "docker") carrying the HTTP status when there was one. Requests go over
// plain node:http (engine-http.ts). Other adapters (e.g. container creation) build on
// `request`/`stream`/`upgrade`.
import type { Duplex, Readable } from "node:stream";
import type { Shape } from "../util/shape.js";
import { TransientError } from "../errors.js";
import { engineCall, engineQuery, engineStream, engineTarget, engineUpgrade, UpgradeRefused, type EngineTarget, type HttpAnswer } from "./engine-http.js";

export const DEFAULT_DOCKER_TIMEOUT_MS = 10_000;

export interface EngineClientOptions {
  /** Overrides DOCKER_HOST (e.g. "unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"). */
  dockerHost?: string;
  /** Default deadline of a request, in ms. */
  timeoutMs?: number;
}

export interface EngineRequest {
  method: "GET" | "POST" | "DELETE" | "PUT" | "HEAD";
  /** Path; a trailing "?" is accepted and dropped (the query goes in `query`). */
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

/** The engine's own error text ({"message": "..."}), or the raw body. */
function engineMessage(body: Buffer): string {
  const text = body.toString("utf8").trim();
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === "string") return m;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 300) || "(no message)";
}

/** dockerd answered, but not with success: its status and its own message. */
function refusedBy(target: string, what: string, status: number | null, body: Buffer): EngineError {
  return new EngineError(`docker engine at ${target}: ${what} failed: (HTTP code ${status}) ${engineMessage(body)}`, status);
}

/** No answer at all: the connection failed or was cut. */
function unreachable(target: string, what: string, e: unknown): EngineError {
  return new EngineError(`docker engine at ${target} unreachable (${what}): ${(e as Error).message}`, null, { cause: e });
}

/** An AbortController that fires on the caller's signal or at the deadline, whichever comes first. */
function deadlineController(timeoutMs: number, outer?: AbortSignal): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    done: () => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}

export class EngineClient {
  readonly timeoutMs: number;
  readonly target: string;
  private readonly endpoint: EngineTarget;

  constructor(opts: EngineClientOptions = {}) {
    this.endpoint = engineTarget(opts.dockerHost);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS;
    this.target = this.endpoint.label;
  }

  /**
   * A POST that hands over the connection (exec start): the raw stream, once dockerd switched
   * protocols. The wait for that has the usual deadline (or ends with `signal`); from then on the
   * stream is the caller's to end or destroy.
   */
  async upgrade(path: string, body: unknown, signal: AbortSignal, timeoutMs = this.timeoutMs): Promise<Duplex> {
    const what = `POST ${path}`;
    const d = deadlineController(timeoutMs, signal);
    try {
      return await engineUpgrade(this.endpoint, path, body, d.signal);
    } catch (e) {
      if (e instanceof UpgradeRefused) throw refusedBy(this.target, what, e.status, e.body);
      if (d.timedOut()) throw new EngineError(`docker engine at ${this.target}: ${what} did not answer within ${timeoutMs} ms`, null, { cause: e });
      throw unreachable(this.target, what, e);
    } finally {
      d.done();
    }
  }

  /**
   * One request/response call; resolves to the parsed JSON body (a Buffer for a non-JSON body, null
   * for none). Statuses outside `ok` reject with an EngineError carrying the status.
   */
  async request(req: EngineRequest): Promise<unknown> {
    const answer = await this.answer(req);
    if (answer.body.length === 0) return null;
    if (!answer.contentType.includes("json")) return answer.body;
    try {
      return JSON.parse(answer.body.toString("utf8")) as unknown;
    } catch (e) {
      throw new EngineError(`docker engine at ${this.target}: ${req.method} ${req.path.replace(/\?$/, "")} answered malformed JSON`, answer.status, { cause: e });
    }
  }

  /** Like request(), but the whole answer: status, headers and the raw body. */
  async answer(req: EngineRequest): Promise<HttpAnswer> {
    const ok = req.ok ?? [200, 201, 204];
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const path = req.path.replace(/\?$/, "");
    const what = `${req.method} ${path}`;
    const d = deadlineController(timeoutMs, req.signal);
    let answer: HttpAnswer;
    try {
      answer = await engineCall(this.endpoint, req.method, path + engineQuery(req.query), req.body, d.signal);
    } catch (e) {
      if (d.timedOut()) throw new EngineError(`docker engine at ${this.target}: ${what} timed out after ${timeoutMs} ms`, null, { cause: e });
      throw unreachable(this.target, what, e);
    } finally {
      d.done();
    }
    if (!ok.includes(answer.status)) {
      throw refusedBy(this.target, what, answer.status, answer.body);
    }
    return answer;
  }

  /** Sends a request and parses the body through `schema`; a body that does not fit is a TransientError. */
  async json<T>(req: EngineRequest, schema: Shape<T>): Promise<T> {
    const body = await this.request(req);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new EngineError(`docker engine at ${this.target}: unexpected answer to ${req.method} ${req.path.replace(/\?$/, "")}: ${parsed.error.message.slice(0, 300)}`, null);
    }
    return parsed.data;
  }

  /** A streaming GET (events, logs). The connect phase has the usual deadline; the stream itself runs until `signal` aborts. */
  async stream(path: string, query: Record<string, unknown>, signal: AbortSignal, connectTimeoutMs = this.timeoutMs): Promise<Readable> {
    const clean = path.replace(/\?$/, "");
    const what = `GET ${clean}`;
    // The stream lives on `signal`; only the wait for the headers has a deadline.
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      controller.abort();
    }, connectTimeoutMs);
    let res;
    try {
      res = await engineStream(this.endpoint, clean + engineQuery(query), controller.signal);
    } catch (e) {
      signal.removeEventListener("abort", onAbort);
      if (expired) throw new EngineError(`docker engine at ${this.target}: ${what} did not answer within ${connectTimeoutMs} ms`, null, { cause: e });
      throw unreachable(this.target, what, e);
    } finally {
      clearTimeout(timer);
    }
    if (res.statusCode !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      signal.removeEventListener("abort", onAbort);
      throw refusedBy(this.target, what, res.statusCode ?? null, Buffer.concat(chunks));
    }
    if (signal.aborted) res.destroy();
    return res;
  }
}

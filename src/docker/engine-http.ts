// The Engine API over plain node:http (unix socket or tcp): ds01 needs a handful of JSON calls, one
// streaming GET and `docker exec`'s hijacked stream, so it does not load a full Docker SDK for them
// (dockerode and its ssh2 cost the daemon ~20–26 MB of resident memory).
import { accessSync, constants as fsConstants } from "node:fs";
import { Agent, request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import type { Duplex } from "node:stream";

export interface EngineTarget {
  socketPath: string | null;
  host: string | null;
  port: number | null;
  /** For messages: unix:///var/run/docker.sock, 127.0.0.1:2375. */
  label: string;
}

/** Where dockerd listens once `ds01 install --gate` moved it (root only; the gate has the usual socket). */
export const GATED_ENGINE_SOCKET = "/run/ds01/engine.sock";

/**
 * The default socket: dockerd's own when the gate moved it and this process may use it (root), so
 * ds01 itself never goes through the gate; otherwise the usual /var/run/docker.sock.
 */
export function defaultEngineSocket(canUse: (path: string) => boolean = usable): string {
  return canUse(GATED_ENGINE_SOCKET) ? GATED_ENGINE_SOCKET : "/var/run/docker.sock";
}

function usable(path: string): boolean {
  try {
    accessSync(path, fsConstants.R_OK | fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** DOCKER_HOST (or an explicit value) → where to connect. Default: the local unix socket. */
export function engineTarget(dockerHost: string | undefined): EngineTarget {
  const value = dockerHost ?? process.env.DOCKER_HOST ?? "";
  if (value === "" || value.startsWith("unix://")) {
    const socketPath = value ? value.slice("unix://".length) : defaultEngineSocket();
    return { socketPath, host: null, port: null, label: `unix://${socketPath}` };
  }
  const u = new URL(value.replace(/^tcp:/, "http:"));
  if (u.protocol === "https:") throw new Error(`DOCKER_HOST ${value}: TLS connections to the engine are not supported; use the local socket`);
  const port = Number(u.port || 2375);
  return { socketPath: null, host: u.hostname, port, label: `${u.hostname}:${port}` };
}

/** Query string as the Engine API wants it: booleans as true/false, objects (filters) as JSON. */
export function engineQuery(query: Record<string, unknown> | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null) continue;
    const text = typeof v === "object" ? JSON.stringify(v) : String(v);
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(text)}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

export interface HttpAnswer {
  status: number;
  body: Buffer;
  contentType: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Connections one engine's request/response calls share; an inspect per container reuses them. */
export const ENGINE_CONNECTIONS = 16;
/** A connection left idle this long is closed (the daemon's calls come in bursts, one per sample). */
const IDLE_CONNECTION_MS = 15_000;
const agents = new Map<string, Agent>();

/**
 * Kept-alive connections per engine: a fleet's inspects cost one connect per connection, not one per
 * request. Idle connections are unref'd by node, so they never keep a one-shot process alive.
 */
function agentFor(t: EngineTarget): Agent {
  let a = agents.get(t.label);
  if (!a) {
    a = new Agent({ keepAlive: true, maxSockets: ENGINE_CONNECTIONS, timeout: IDLE_CONNECTION_MS });
    agents.set(t.label, a);
  }
  return a;
}

/** `shared`: over the engine's kept-alive connections; otherwise a connection of its own (streams). */
function options(t: EngineTarget, method: string, path: string, headers: Record<string, string>, shared: boolean): RequestOptions {
  const base = { method, path, headers: { Host: "docker", ...headers }, agent: shared ? agentFor(t) : false };
  return t.socketPath ? { ...base, socketPath: t.socketPath } : { ...base, host: t.host ?? "127.0.0.1", port: t.port ?? 2375 };
}

/**
 * One request; the caller's signal aborts it (the deadline lives with the caller). A Buffer body
 * is sent as it is (a tar archive, application/x-tar); anything else as JSON.
 */
export function engineCall(t: EngineTarget, method: string, path: string, body: unknown, signal: AbortSignal): Promise<HttpAnswer> {
  const raw = Buffer.isBuffer(body);
  const payload = body === undefined ? null : raw ? body : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = payload ? { "Content-Type": raw ? "application/x-tar" : "application/json", "Content-Length": String(payload.length) } : {};
  return new Promise((resolve, reject) => {
    const req = httpRequest({ ...options(t, method, path, headers, true), signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), contentType: String(res.headers["content-type"] ?? ""), headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload ?? undefined);
  });
}

/** A streaming GET: resolves with the response once the headers are in. */
export function engineStream(t: EngineTarget, path: string, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ ...options(t, "GET", path, {}, false), signal }, resolve);
    req.on("error", reject);
    req.end();
  });
}

/** The engine's answer when it did not switch protocols (an error: no such exec, container not running). */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: Buffer,
  ) {
    super(`HTTP ${status}`);
  }
}

/**
 * A POST that dockerd answers by handing over the connection (exec start, attach): resolves with the
 * raw stream once it answered 101, rejects with UpgradeRefused when it answered anything else.
 * Bytes that arrived with the 101 are put back in front of the stream.
 */
export function engineUpgrade(t: EngineTarget, path: string, body: unknown, signal: AbortSignal): Promise<Duplex> {
  const payload = Buffer.from(JSON.stringify(body));
  const headers = { "Content-Type": "application/json", "Content-Length": String(payload.length), Connection: "Upgrade", Upgrade: "tcp" };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ ...options(t, "POST", path, headers, false), signal });
    req.on("upgrade", (_res, socket, head) => {
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => reject(new UpgradeRefused(res.statusCode ?? 0, Buffer.concat(chunks))));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

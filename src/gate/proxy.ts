// Forwarding to dockerd: the request as the client sent it (or as the gate rewrote it), the answer
// streamed back as dockerd sends it, and hijacked connections (attach, exec, BuildKit sessions)
// spliced byte for byte once dockerd has agreed to the upgrade.
import { request, type Agent, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import type { Decision } from "./decide.js";
import { eventsFilter, filterDiskUsageBody, filterListBody, filterNetworksBody } from "./filters.js";
import { forwardCheckedArchive } from "./checked-archive.js";
import type { StallCut } from "./stall-watch.js";

type Forward = Extract<Decision, { action: "forward" }>;

export interface ProxyOptions {
  engineSocket: string;
  agent: Agent;
  /** Does a container/event row belong to the caller? (for filtered answers) */
  keepContainer?: (id: string, labels: Record<string, string>, name: string) => boolean;
  keepEvent?: (event: Record<string, unknown>) => boolean;
  /** Is this container id the caller's? (for network endpoint lists) */
  keepContainerId?: (id: string) => boolean;
  /**
   * Called with the answer's status and (for buffered answers: creates, removals, filtered lists)
   * its body. For a buffered answer it may return another answer to send in its place (the gate
   * could not record what was created, and undid it).
   */
  onAnswer?: (status: number, body: Buffer | null) => Replacement | void;
  onEngineError: (e: Error) => void;
  /** A stream was cut off: it waited on its client too long, or the client moved too little (see stall-watch.ts). */
  onStalled?: (why: StallCut) => void;
  /**
   * The gate refuses the request after all, while its body is being forwarded (a load's archive
   * sets a tag that is not the caller's): answer the client now, and read what is left of the body.
   */
  refuse?: (reason: string, status: number) => void;
}

/** An answer the gate sends instead of dockerd's. */
export interface Replacement {
  status: number;
  message: string;
  /** Sent once this settles (the undo it reports has happened). */
  when?: Promise<unknown>;
}

const DROP_REQUEST_HEADERS = new Set(["expect"]);
const BODY_HEADERS = new Set(["content-length", "transfer-encoding"]);

/** rawHeaders without the ones named in `drop` (lower case). */
export function headersWithout(raw: readonly string[], drop: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (!drop.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

export function engineUnreachableMessage(socket: string, e: Error): string {
  const code = (e as NodeJS.ErrnoException).code ?? e.message;
  return `ds01: the Docker engine does not answer on ${socket} (${code}); it may be restarting: try again in a moment, and tell an admin if it persists`;
}

export function sendJson(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ message });
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "Api-Version": "1.41" });
  res.end(body);
}

export function forwardHttp(req: IncomingMessage, res: ServerResponse, d: Forward, opts: ProxyOptions): void {
  let headers = headersWithout(req.rawHeaders, DROP_REQUEST_HEADERS);
  const bodyless = req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined;
  const checked = d.archive !== undefined && !bodyless && req.headers["content-length"] !== "0";
  if (d.body) headers = [...headersWithout(headers, BODY_HEADERS), "Content-Length", String(d.body.length)];
  // What the gate checked goes on in its own framing (chunked): a gzip archive arrives decompressed.
  else if (checked) headers = headersWithout(headers, BODY_HEADERS);
  // A request sent without a body must reach dockerd without one (Node would send it chunked, and
  // dockerd refuses e.g. a start "with a non-empty request body").
  else if (bodyless) headers.push("Content-Length", "0");
  const upstream = request({
    socketPath: opts.engineSocket,
    agent: opts.agent,
    method: req.method,
    path: d.target ?? req.url,
    headers,
    setHost: false,
  });
  let answered = false;
  let refused = false;
  upstream.on("response", (up) => {
    if (refused) {
      up.resume(); // dockerd's word on the cut upload; the client has the gate's
      return;
    }
    answered = true;
    const status = up.statusCode ?? 502;
    if (((d.filter === "list" || d.filter === "networks" || d.filter === "disk-usage") && status === 200) || d.created || d.removed) {
      bufferedAnswer(up, res, d, opts, status);
      return;
    }
    res.writeHead(status, up.statusMessage, up.rawHeaders);
    // Streams (events, logs -f, stats, wait) must show their headers before any data; an answer of
    // a known length follows at once, and its head goes out with its first bytes (one write).
    if (up.headers["content-length"] === undefined) res.flushHeaders();
    if (d.filter === "events" && status === 200) up.pipe(eventsFilter(opts.keepEvent ?? (() => true))).pipe(res);
    else up.pipe(res);
    opts.onAnswer?.(status, null);
  });
  upstream.on("error", (e) => {
    if (refused) return; // the gate cut the upload itself
    if (!answered) {
      opts.onEngineError(e);
      sendJson(res, 502, engineUnreachableMessage(opts.engineSocket, e));
    } else res.destroy();
  });
  // A client that goes away ends its stream upstream too (a `docker logs -f` left open costs a socket),
  // but not its create: dockerd may create the container all the same, and only its answer says
  // what to record as the caller's and which GPUs to confirm to it (released instead, they could be
  // handed out again while that container holds them).
  res.on("close", () => {
    if (!res.writableFinished && !d.created) upstream.destroy();
  });
  if (d.body) upstream.end(d.body);
  else if (checked) {
    forwardCheckedArchive(req, upstream, d.archive!, (reason, status) => {
      refused = true;
      if (opts.refuse) opts.refuse(reason, status);
      else {
        res.setHeader("Connection", "close");
        sendJson(res, status, `ds01: ${reason}`);
      }
    });
  } else if (bodyless || req.headers["content-length"] === "0") {
    // Nothing to stream: the request leaves now, not a tick after the (empty) body has ended.
    upstream.end();
    req.resume();
  } else req.pipe(upstream);
}

const MAX_BUFFERED = 64 * 1024 * 1024;

function bufferedAnswer(up: IncomingMessage, res: ServerResponse, d: Forward, opts: ProxyOptions, status: number): void {
  const chunks: Buffer[] = [];
  let size = 0;
  up.on("data", (c: Buffer) => {
    size += c.length;
    if (size > MAX_BUFFERED) up.destroy(new Error("answer too large to filter"));
    else chunks.push(c);
  });
  up.on("error", () => res.destroy());
  up.on("end", () => {
    let body: Buffer = Buffer.concat(chunks);
    if (d.filter === "list" && status === 200) body = filterListBody(body, opts.keepContainer ?? (() => true));
    if (d.filter === "networks" && status === 200) body = filterNetworksBody(body, opts.keepContainerId ?? (() => true));
    if (d.filter === "disk-usage" && status === 200) body = filterDiskUsageBody(body, opts.keepContainer ?? (() => true));
    const replaced = opts.onAnswer?.(status, body);
    if (replaced) {
      void (replaced.when ?? Promise.resolve()).finally(() => sendJson(res, replaced.status, replaced.message));
      return;
    }
    res.writeHead(status, up.statusMessage, [...headersWithout(up.rawHeaders, BODY_HEADERS), "Content-Length", String(body.length)]);
    res.end(body);
  });
}

const HEAD_END = Buffer.from("\r\n\r\n");

/**
 * A hijacking request (attach, exec start, BuildKit session): the request and its body go to
 * dockerd; only when dockerd answers 101 (or a raw stream) are the two sockets spliced. Any other
 * answer is passed back and the connection closed, so bytes after the request can never reach
 * dockerd as a second, unchecked request.
 */
export function forwardUpgrade(req: IncomingMessage, client: Socket, head: Buffer, d: Forward, opts: ProxyOptions): void {
  const engine = connect({ path: opts.engineSocket, allowHalfOpen: true });
  const lines = [`${req.method} ${d.target ?? req.url} HTTP/1.1`];
  const raw = headersWithout(req.rawHeaders, DROP_REQUEST_HEADERS);
  for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  const bodyLength = Number(req.headers["content-length"] ?? 0) || 0;
  let bodyLeft = bodyLength;
  let spliced = false;
  let answer = Buffer.alloc(0);

  const feedBody = (chunk: Buffer): Buffer => {
    // Only the declared body goes to dockerd before its answer; the rest waits for the splice.
    const take = Math.min(bodyLeft, chunk.length);
    if (take > 0) engine.write(chunk.subarray(0, take));
    bodyLeft -= take;
    return chunk.subarray(take);
  };
  let pending: Buffer[] = [];
  const fromClient = (c: Buffer) => {
    const rest = feedBody(c);
    if (rest.length) pending.push(rest);
  };
  const closeBoth = () => {
    client.destroy();
    engine.destroy();
  };

  engine.on("connect", () => {
    engine.write(lines.join("\r\n") + "\r\n\r\n");
    const rest = feedBody(head);
    if (rest.length) pending.push(rest);
    client.on("data", fromClient);
  });
  engine.on("data", function onAnswer(c: Buffer) {
    if (spliced) return;
    answer = Buffer.concat([answer, c]);
    const end = answer.indexOf(HEAD_END);
    if (end < 0) {
      if (answer.length > 64 * 1024) closeBoth();
      return;
    }
    const statusLine = answer.subarray(0, answer.indexOf("\r\n")).toString("latin1");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    const headText = answer.subarray(0, end).toString("latin1").toLowerCase();
    const hijacked = status === 101 || (status === 200 && headText.includes("application/vnd.docker.raw-stream"));
    opts.onAnswer?.(status, null);
    engine.off("data", onAnswer);
    client.off("data", fromClient);
    client.write(answer);
    if (!hijacked) {
      // Not upgraded: relay the rest of this one answer, then close (no second request may follow).
      engine.on("data", (more: Buffer) => client.write(more));
      engine.on("end", () => client.end());
      client.on("data", () => undefined);
      setTimeout(closeBoth, 5000).unref();
      return;
    }
    spliced = true;
    for (const p of pending) engine.write(p);
    pending = [];
    client.pipe(engine); // ends engine's write side when the client half-closes (stdin EOF)
    engine.pipe(client);
  });
  engine.on("error", (e) => {
    if (!spliced && answer.length === 0) {
      opts.onEngineError(e);
      const body = JSON.stringify({ message: engineUnreachableMessage(opts.engineSocket, e) });
      client.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    } else client.destroy();
  });
  client.on("error", () => engine.destroy());
  client.on("close", () => {
    if (!spliced) engine.destroy();
  });
  engine.on("close", () => {
    if (spliced && !client.writableEnded) client.end();
  });
}

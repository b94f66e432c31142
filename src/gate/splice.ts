// Forwarding for endpoints whose bodies the gate never reads and that may be large or long (docker
// cp, export, logs, image save/load, build contexts, pulls): the request head was parsed and
// checked like any other, its body is framed again as the client framed it, and dockerd's answer
// goes back to the client as raw bytes, without an HTTP parser or serializer in between. The
// request asks dockerd for `Connection: close` and the client's connection ends with the answer,
// so where the answer stops is never in question and nothing after it is read as a request.
import type { IncomingMessage, ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import type { Decision } from "./decide.js";
import { engineUnreachableMessage, headersWithout, sendJson, type ProxyOptions } from "./proxy.js";
import { StallWatch } from "./stall-watch.js";

type Forward = Extract<Decision, { action: "forward" }>;

const DROP = new Set(["expect", "connection", "keep-alive", "content-length", "transfer-encoding"]);
const HEAD_END = Buffer.from("\r\n\r\n");
const MAX_HEAD = 64 * 1024;

/** The request head as dockerd gets it: the client's headers, its body framing, and Connection: close. */
function requestHead(req: IncomingMessage, d: Forward): { head: string; chunked: boolean; bodyless: boolean } {
  const lines = [`${req.method} ${d.target ?? req.url} HTTP/1.1`];
  const raw = headersWithout(req.rawHeaders, DROP);
  for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  const te = req.headers["transfer-encoding"];
  const cl = req.headers["content-length"];
  // Node's parser has refused a request with both, or with two different lengths.
  if (te !== undefined) lines.push(`Transfer-Encoding: ${te}`);
  else lines.push(`Content-Length: ${cl ?? "0"}`);
  lines.push("Connection: close");
  return { head: lines.join("\r\n") + "\r\n\r\n", chunked: te !== undefined, bodyless: te === undefined && (cl === undefined || cl === "0") };
}

/** Bytes read from dockerd at a time; one buffer per splice, reused for every read. */
const READ_BUFFER = 256 * 1024;

export function forwardSpliced(req: IncomingMessage, res: ServerResponse, d: Forward, opts: ProxyOptions): void {
  const client: Socket = req.socket;
  const { head, chunked, bodyless } = requestHead(req, d);
  let answer: Buffer | null = Buffer.alloc(0);
  let answered = false;
  const stall = d.stallMs
    ? new StallWatch(
        d.stallMs,
        (why) => {
          opts.onStalled?.(why);
          engine.destroy();
          client.destroy();
        },
        d.stallMinBytesPerS,
      )
    : null;

  // dockerd's bytes are read into one buffer and written on at once: no buffer per read for the
  // garbage collector. A write that does not complete at once still refers to the buffer, so
  // reading stops until it has drained.
  let waiting = false;
  const passOn = (bytes: Buffer): boolean => {
    const n = bytes.length;
    client.write(bytes, () => {
      if (!waiting) return;
      stall?.took(n);
      waiting = false;
      stall?.notWaiting();
      engine.resume();
    });
    if (client.writableLength === 0) {
      stall?.took(n);
      return true; // written through at once
    }
    waiting = true;
    stall?.waiting(); // the client has not taken these bytes yet
    return false;
  };
  const onAnswer = (bytes: Buffer): boolean => {
    if (answer === null) return passOn(bytes);
    answer = Buffer.concat([answer, bytes]); // a copy: the head is read until it is complete
    const end = answer.indexOf(HEAD_END);
    if (end < 0) {
      if (answer.length > MAX_HEAD) {
        engine.destroy();
        client.destroy();
        return false;
      }
      return true;
    }
    answered = true;
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer.subarray(0, answer.indexOf("\r\n")).toString("latin1"))?.[1] ?? 0);
    opts.onAnswer?.(status, null);
    const first = answer;
    answer = null;
    return passOn(first);
  };
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER);
  const engine = connect({ path: opts.engineSocket, onread: { buffer: readBuffer, callback: (n) => onAnswer(readBuffer.subarray(0, n)) } });

  engine.on("connect", () => {
    engine.write(head);
    if (bodyless) {
      req.resume();
      return;
    }
    stall?.waiting(); // for the body
    req.on("data", (c: Buffer) => {
      stall?.took(c.length);
      stall?.waiting();
      let ok: boolean;
      if (chunked) {
        engine.cork();
        engine.write(`${c.length.toString(16)}\r\n`);
        engine.write(c);
        ok = engine.write("\r\n");
        engine.uncork();
      } else ok = engine.write(c);
      if (!ok) {
        // dockerd is slow to take the body: not the client's stall.
        stall?.notWaiting();
        req.pause();
        engine.once("drain", () => {
          stall?.waiting();
          req.resume();
        });
      }
    });
    req.on("end", () => {
      stall?.notWaiting();
      if (chunked) engine.write("0\r\n\r\n");
    });
  });

  engine.on("end", () => {
    if (answered) client.end();
  });
  engine.on("error", (e) => {
    if (!answered) {
      opts.onEngineError(e);
      res.setHeader("Connection", "close");
      sendJson(res, 502, engineUnreachableMessage(opts.engineSocket, e));
    } else client.destroy();
  });
  engine.on("close", () => {
    if (answered) client.destroySoon();
    else if (!res.headersSent) client.destroy();
  });
  client.on("close", () => {
    stall?.stop();
    engine.destroy();
  });
}

/**
 * May this forward (on a route whose bodies and answers the gate never reads) be spliced? Nothing is
 * rewritten but the target, and its answer is the connection's next one (none is still pending).
 */
export function spliceable(d: Forward, res: ServerResponse, socket: Socket): boolean {
  return !d.body && !d.filter && !d.created && !d.removed && !d.archive && res.socket === socket;
}

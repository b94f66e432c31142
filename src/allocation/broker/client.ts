// Asks the daemon's allocation broker to reserve. Answers null when no broker listens (no daemon,
// a socket left behind) or when the broker says it cannot decide now: the caller (root, or the
// gate) then decides locally. A broker that refuses the connection (permission) is a refusal,
// never a reason to decide elsewhere: only root may decide at all (src/cli/authority.ts). Once a
// request was sent, a lost answer is an error, not a fallback: the broker may have reserved, and a
// second local decision could double-book.
import { connect } from "node:net";
import { RefusedError, TransientError } from "../../errors.js";
import type { AllocationRequest } from "../request.js";
import type { ReserveBroker, Reserved } from "../allocator.js";
import type { BrokerAnswer } from "./protocol.js";

// Not connected, nothing sent: no daemon, a dead daemon's socket, a full backlog.
const FALLBACK_CODES = new Set(["ENOENT", "ECONNREFUSED", "ENOTSOCK", "EAGAIN"]);
// Not allowed to connect: the broker exists and this caller may not use it.
const REFUSED_CODES = new Set(["EACCES", "EPERM"]);

export interface BrokerClientOptions {
  /** Connect plus answer; default 10 s. */
  timeoutMs?: number;
  /** Told why the broker was not used (for debug logs). */
  onFallback?: (why: string) => void;
}

export function brokerClient(path: string, opts: BrokerClientOptions = {}): ReserveBroker {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    reserve(request: AllocationRequest, adoptFrom: readonly string[]): Promise<Reserved | null> {
      return new Promise((resolve, reject) => {
        let sent = false;
        let buf = "";
        const socket = connect(path);
        const done = (f: () => void) => {
          clearTimeout(timer);
          socket.destroy();
          f();
        };
        const timer = setTimeout(() => {
          if (!sent) {
            opts.onFallback?.(`${path}: no connection within ${timeoutMs} ms`);
            return done(() => resolve(null));
          }
          done(() => reject(new TransientError(`the ds01 daemon's allocation broker (${path}) did not answer within ${timeoutMs} ms; a reservation it made expires by itself, try again`, "allocation-broker")));
        }, timeoutMs);
        socket.setEncoding("utf8");
        socket.on("connect", () => {
          sent = true;
          socket.write(JSON.stringify({ id: 1, op: "reserve", request, adoptFrom }) + "\n");
        });
        socket.on("data", (chunk: string) => {
          buf += chunk;
          const nl = buf.indexOf("\n");
          if (nl < 0) return;
          let a: BrokerAnswer;
          try {
            a = JSON.parse(buf.slice(0, nl)) as BrokerAnswer;
            if (typeof a !== "object" || a === null || !("unavailable" in a || "ok" in a)) throw new Error("not an answer");
          } catch {
            return done(() => reject(new TransientError(`the allocation broker (${path}) sent an unreadable answer`, "allocation-broker")));
          }
          done(() => {
            if ("unavailable" in a) {
              opts.onFallback?.(a.unavailable);
              resolve(null);
            } else if (a.ok) resolve({ ok: true, allocation: a.allocation });
            else if ("rejection" in a) resolve({ ok: false, rejection: a.rejection });
            else reject(new TransientError(a.error, a.source));
          });
        });
        socket.on("error", (e: NodeJS.ErrnoException) => {
          if (!sent && FALLBACK_CODES.has(e.code ?? "")) {
            opts.onFallback?.(`${path}: ${e.code}`);
            return done(() => resolve(null));
          }
          if (!sent && REFUSED_CODES.has(e.code ?? "")) {
            return done(() => reject(new RefusedError(`the ds01 daemon's allocation broker (${path}) refused this caller (${e.code}): only root may allocate; nothing was decided`)));
          }
          done(() => reject(new TransientError(`the allocation broker (${path}) failed: ${e.message}`, "allocation-broker", { cause: e })));
        });
        socket.on("close", () => {
          if (sent) done(() => reject(new TransientError(`the allocation broker (${path}) closed the connection without an answer`, "allocation-broker")));
        });
      });
    },
  };
}

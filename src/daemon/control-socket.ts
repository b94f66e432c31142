// The daemon's control socket (`<state dir>/control.sock`, born 0600: root only). One request a
// connection, one JSON line each way. `{"op":"pass"}` asks for an enforcement pass now and is
// answered with that pass's report once it has run — how `ds01 check` works while the daemon holds
// the pass lock.
import { connect, type Server, type Socket } from "node:net";
import { errorText } from "../errors.js";
import { closeRootOnly, listenRootOnly } from "../util/root-socket.js";

export const CONTROL_SOCKET_FILE = "control.sock";
const MAX_LINE = 4096;

export interface PassAnswer {
  ok: true;
  /** The report as `ds01 check` prints it, and as `--json` prints it. */
  text: string;
  json: unknown;
  /** Why the pass counts as failed (Docker unavailable, actions failed), or null. */
  error: string | null;
}
export type ControlAnswer = PassAnswer | { ok: false; error: string };

export class ControlSocket {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly path: string,
    private readonly passNow: () => Promise<Omit<PassAnswer, "ok">>,
  ) {}

  async start(): Promise<void> {
    this.server = await listenRootOnly(this.path, (s) => this.accept(s));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    await closeRootOnly(server, this.path, this.sockets);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setEncoding("utf8");
    let buf = "";
    const answer = (a: ControlAnswer) => {
      if (!socket.destroyed) socket.end(JSON.stringify(a) + "\n");
    };
    const onData = (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl < 0) {
        if (buf.length > MAX_LINE) answer({ ok: false, error: "request too long" });
        return;
      }
      socket.off("data", onData);
      let op: unknown;
      try {
        op = (JSON.parse(buf.slice(0, nl)) as { op?: unknown }).op;
      } catch {
        return answer({ ok: false, error: "not a control request (JSON line expected)" });
      }
      if (op !== "pass") return answer({ ok: false, error: `unknown operation ${JSON.stringify(op)}` });
      this.passNow().then(
        (r) => answer({ ok: true, ...r }),
        (e) => answer({ ok: false, error: errorText(e) }),
      );
    };
    socket.on("data", onData);
    socket.on("error", () => undefined);
    socket.on("close", () => this.sockets.delete(socket));
  }
}

/**
 * Asks a running daemon for a pass. Null when no daemon listens (no socket, a dead daemon's file,
 * not root): the caller runs the pass itself. Rejects when the daemon was asked but failed.
 */
export function askDaemonForPass(path: string, timeoutMs: number): Promise<ControlAnswer | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let sent = false;
    let buf = "";
    const timer = setTimeout(() => {
      socket.destroy();
      if (sent) reject(new Error(`the ds01 daemon did not finish the pass within ${Math.round(timeoutMs / 1000)} s`));
      else resolve(null);
    }, timeoutMs);
    const finish = (f: () => void) => {
      clearTimeout(timer);
      socket.destroy();
      f();
    };
    socket.setEncoding("utf8");
    socket.on("connect", () => {
      sent = true;
      socket.write(JSON.stringify({ op: "pass" }) + "\n");
    });
    socket.on("data", (c: string) => (buf += c));
    socket.on("end", () => {
      try {
        const a = JSON.parse(buf.trim()) as ControlAnswer;
        finish(() => resolve(a));
      } catch {
        finish(() => reject(new Error("the ds01 daemon's answer could not be read")));
      }
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (!sent) finish(() => resolve(null));
      else finish(() => reject(new Error(`the ds01 daemon's control socket failed: ${e.message}`)));
    });
  });
}

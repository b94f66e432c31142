// A small SMTP server on loopback for tests: a real TCP peer that speaks enough of RFC 5321.
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";

export type Mode = "normal" | "no-ehlo" | "reject-rcpt" | "silent";

export interface Session {
  commands: string[];
  data: string;
}

export interface FakeSmtp {
  server: Server;
  port: number;
  sessions: Session[];
  /** Drops open connections and stops listening. */
  stop(): Promise<void>;
}

export function startSmtp(mode: Mode): Promise<FakeSmtp> {
  const sessions: Session[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    const s: Session = { commands: [], data: "" };
    sessions.push(s);
    if (mode === "silent") return; // accepts the connection, never says a word
    sock.write("220 fake.smtp ESMTP ready\r\n");
    let buf = "";
    let inData = false;
    sock.on("data", (chunk: Buffer) => {
      buf += chunk.toString("latin1");
      for (;;) {
        if (inData) {
          const end = buf.indexOf("\r\n.\r\n");
          if (end === -1) return;
          s.data = buf.slice(0, end + 2);
          buf = buf.slice(end + 5);
          inData = false;
          sock.write("250 2.0.0 queued as 42\r\n");
          continue;
        }
        const i = buf.indexOf("\r\n");
        if (i === -1) return;
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        s.commands.push(line);
        const verb = line.split(/[ :]/)[0]?.toUpperCase();
        if (verb === "EHLO") sock.write(mode === "no-ehlo" ? "502 5.5.2 command not recognized\r\n" : "250-fake.smtp\r\n250-SIZE 1000000\r\n250 8BITMIME\r\n");
        else if (verb === "HELO") sock.write("250 fake.smtp\r\n");
        else if (verb === "MAIL") sock.write("250 2.1.0 ok\r\n");
        else if (verb === "RCPT") sock.write(mode === "reject-rcpt" ? "550 5.1.1 no such user\r\n" : "250 2.1.5 ok\r\n");
        else if (verb === "DATA") {
          inData = true;
          sock.write("354 end with <CRLF>.<CRLF>\r\n");
        } else if (verb === "QUIT") {
          sock.end("221 bye\r\n");
        } else sock.write("500 what?\r\n");
      }
    });
  });
  const stop = async () => {
    for (const sock of sockets) sock.destroy();
    if (server.listening) await new Promise((r) => server.close(r));
  };
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port, sessions, stop })));
}


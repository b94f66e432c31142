// A minimal SMTP client (RFC 5321) over node:net for plain-text notices to a local relay: EHLO
// (HELO when refused), MAIL FROM, RCPT TO, DATA, QUIT. No TLS and no AUTH: point it at the host's
// MTA (postfix/exim on localhost:25), which relays onwards. Every step shares one deadline.
import { connect, type Socket } from "node:net";
import { TransientError } from "../errors.js";

export interface SmtpOptions {
  host: string;
  port?: number; // default 25
  timeoutMs?: number; // whole conversation, default 10000
  /** Name given in EHLO/HELO and in the Message-ID. */
  heloName: string;
}

export interface MailMessage {
  from: string;
  to: string;
  subject: string;
  /** Plain ASCII text (render it with renderNotice). */
  text: string;
  /** Epoch ms for the Date header. */
  date: number;
}

const ADDRESS = /^[^\s<>()@,;:"\\[\]]+@[A-Za-z0-9.-]+$/;

export function isMailAddress(s: string): boolean {
  return ADDRESS.test(s) && s.length <= 254;
}

/** Sends one message. Rejects with TransientError (source "smtp") naming the step that failed. */
export async function sendMail(opts: SmtpOptions, msg: MailMessage): Promise<void> {
  for (const a of [msg.from, msg.to]) if (!isMailAddress(a)) throw new TransientError(`not a mail address: ${JSON.stringify(a)}`, "smtp");
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const conn = new SmtpConnection(connect({ host: opts.host, port: opts.port ?? 25 }), timeoutMs);
  try {
    await conn.expect(null, [220], "greeting");
    const ehlo = await conn.command(`EHLO ${opts.heloName}`);
    if (ehlo.code !== 250) await conn.expect(`HELO ${opts.heloName}`, [250], "HELO");
    await conn.expect(`MAIL FROM:<${msg.from}>`, [250], "MAIL FROM");
    await conn.expect(`RCPT TO:<${msg.to}>`, [250, 251], "RCPT TO");
    await conn.expect("DATA", [354], "DATA");
    await conn.expect(formatMessage(opts.heloName, msg) + ".", [250], "message");
    await conn.command("QUIT").catch(() => undefined); // delivered already; a lost 221 doesn't matter
  } finally {
    conn.close();
  }
}

/** Headers + dot-stuffed CRLF body, ending with CRLF (the caller adds the final "."). */
export function formatMessage(heloName: string, msg: MailMessage): string {
  const headers = [
    `From: ds01 <${msg.from}>`,
    `To: <${msg.to}>`,
    `Subject: ${oneLine(msg.subject).slice(0, 200)}`,
    `Date: ${new Date(msg.date).toUTCString()}`,
    `Message-ID: <ds01.${msg.date}.${Math.random().toString(36).slice(2, 10)}@${oneLine(heloName) || "localhost"}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "Content-Transfer-Encoding: 7bit",
    "Auto-Submitted: auto-generated",
  ];
  const body = msg.text
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .flatMap((l) => (l.length > 998 ? (l.match(/.{1,998}/g) ?? []) : [l]))
    .map((l) => (l.startsWith(".") ? `.${l}` : l));
  if (body.at(-1) === "") body.pop();
  return [...headers, "", ...body].join("\r\n") + "\r\n";
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, " ").replace(/[^\x20-\x7e]/g, "?");
}

interface Reply {
  code: number;
  text: string;
}

/** Reads replies (multi-line "250-..." continuations folded) and writes commands, under one deadline. */
class SmtpConnection {
  private buffer = "";
  private lines: string[] = [];
  private waiter: (() => void) | null = null;
  private failure: TransientError | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => this.fail(new TransientError(`SMTP timed out after ${timeoutMs} ms`, "smtp")), timeoutMs);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      let i: number;
      while ((i = this.buffer.indexOf("\n")) !== -1) {
        this.lines.push(this.buffer.slice(0, i).replace(/\r$/, ""));
        this.buffer = this.buffer.slice(i + 1);
      }
      this.wake();
    });
    socket.on("error", (e) => this.fail(new TransientError(`SMTP connection: ${e.message}`, "smtp", { cause: e })));
    socket.on("close", () => this.fail(new TransientError("SMTP server closed the connection", "smtp")));
  }

  async command(line: string): Promise<Reply> {
    if (this.failure) throw this.failure;
    this.socket.write(line + "\r\n");
    return this.reply();
  }

  async expect(line: string | null, codes: readonly number[], step: string): Promise<Reply> {
    const r = line === null ? await this.reply() : await this.command(line);
    if (!codes.includes(r.code)) throw new TransientError(`SMTP ${step} refused: ${r.code} ${r.text}`.slice(0, 300), "smtp");
    return r;
  }

  close(): void {
    clearTimeout(this.timer);
    this.socket.destroy();
  }

  private async reply(): Promise<Reply> {
    const text: string[] = [];
    for (;;) {
      const line = await this.nextLine();
      const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!m) throw new TransientError(`SMTP answered garbage: ${JSON.stringify(line.slice(0, 100))}`, "smtp");
      text.push(m[3] ?? "");
      if (m[2] !== "-") return { code: Number(m[1]), text: text.join(" ") };
    }
  }

  private async nextLine(): Promise<string> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private fail(e: TransientError): void {
    this.failure ??= e;
    this.socket.destroy();
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

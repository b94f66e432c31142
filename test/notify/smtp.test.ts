// The SMTP client and the e-mail channel against a small SMTP server on loopback (a real TCP peer
// that speaks the protocol): normal delivery, EHLO refused (HELO fallback), recipient refused, a
// server that never greets, nobody listening.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Notice } from "../../src/model/notice.js";
import { emailRecipients, sendNoticeEmail, userAddress } from "../../src/notify/email-channel.js";
import { formatMessage, sendMail } from "../../src/notify/smtp-client.js";
import { startSmtp, type FakeSmtp, type Mode } from "./fake-smtp.js";

const servers: FakeSmtp[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function smtp(mode: Mode) {
  const s = await startSmtp(mode);
  servers.push(s);
  return s;
}

const DATE = Date.UTC(2025, 2, 1, 12, 0, 0);
const notice: Notice = {
  audience: "user",
  user: "alice",
  containerId: "c0ffee",
  containerName: "train._.alice",
  severity: "warning",
  title: "IDLE CONTAINER",
  body: "Idle.",
  facts: {},
};

describe("sendMail (fake SMTP server on loopback)", () => {
  let normal: Awaited<ReturnType<typeof smtp>>;
  beforeAll(async () => {
    normal = await smtp("normal");
  });

  it("walks EHLO, MAIL FROM, RCPT TO, DATA, QUIT and delivers a dot-stuffed plain-text message", async () => {
    await sendMail(
      { host: "127.0.0.1", port: normal.port, heloName: "gpu01", timeoutMs: 3000 },
      { from: "ds01@gpu01.lab", to: "alice@lab.example.org", subject: "[ds01] [WARNING] IDLE\r\nBcc: evil@x", text: "line 1\n.starts with a dot\n.\nend\n", date: DATE },
    );
    const s = normal.sessions.at(-1);
    expect(s?.commands).toEqual(["EHLO gpu01", "MAIL FROM:<ds01@gpu01.lab>", "RCPT TO:<alice@lab.example.org>", "DATA", "QUIT"]);
    const [headers, body] = (s?.data ?? "").split("\r\n\r\n");
    expect(headers).toContain("From: ds01 <ds01@gpu01.lab>\r\nTo: <alice@lab.example.org>\r\nSubject: [ds01] [WARNING] IDLE Bcc: evil@x\r\n");
    expect(headers).toContain("Date: Sat, 01 Mar 2025 12:00:00 GMT\r\n");
    expect(headers).toMatch(/Message-ID: <ds01\.\d+\.[a-z0-9]+@gpu01>/);
    expect(headers).not.toMatch(/^Bcc:/m);
    expect(body).toBe("line 1\r\n..starts with a dot\r\n..\r\nend\r\n");
  });

  it("falls back to HELO when EHLO is refused", async () => {
    const s = await smtp("no-ehlo");
    await sendMail({ host: "127.0.0.1", port: s.port, heloName: "gpu01", timeoutMs: 3000 }, { from: "a@b.c", to: "d@e.f", subject: "s", text: "t", date: DATE });
    expect(s.sessions[0]?.commands.slice(0, 2)).toEqual(["EHLO gpu01", "HELO gpu01"]);
    expect(s.sessions[0]?.data).toContain("\r\n\r\nt\r\n");
  });

  it("a refused recipient, a silent server and a closed port are errors naming the step", async () => {
    const rej = await smtp("reject-rcpt");
    await expect(sendMail({ host: "127.0.0.1", port: rej.port, heloName: "h", timeoutMs: 3000 }, { from: "a@b.c", to: "nobody@e.f", subject: "s", text: "t", date: DATE })).rejects.toThrow(
      /RCPT TO refused: 550 5\.1\.1 no such user/,
    );
    const silent = await smtp("silent");
    await expect(sendMail({ host: "127.0.0.1", port: silent.port, heloName: "h", timeoutMs: 300 }, { from: "a@b.c", to: "d@e.f", subject: "s", text: "t", date: DATE })).rejects.toThrow(
      /timed out after 300 ms/,
    );
    const gone = await smtp("normal");
    await gone.stop();
    await expect(sendMail({ host: "127.0.0.1", port: gone.port, heloName: "h", timeoutMs: 3000 }, { from: "a@b.c", to: "d@e.f", subject: "s", text: "t", date: DATE })).rejects.toThrow(/ECONNREFUSED/);
  });

  it("refuses addresses that could inject commands", async () => {
    await expect(sendMail({ host: "127.0.0.1", port: normal.port, heloName: "h" }, { from: "a@b.c", to: "x@y.z>\r\nRCPT TO:<evil@x.y", subject: "s", text: "t", date: DATE })).rejects.toThrow(/not a mail address/);
  });
});

describe("e-mail channel", () => {
  it("sends a notice and returns the result; a failure is returned, not thrown", async () => {
    const s = await smtp("normal");
    const ok = await sendNoticeEmail({ smtp_host: "127.0.0.1", smtp_port: s.port, from: "ds01@gpu01.lab" }, "alice@lab.example.org", notice, "[WARNING] IDLE CONTAINER: train._.alice\n", { now: DATE, heloName: "gpu01" });
    expect(ok).toEqual({ channel: "email", target: "alice@lab.example.org", ok: true, error: null });
    expect(s.sessions[0]?.data).toContain("Subject: [ds01] [WARNING] IDLE CONTAINER: train._.alice\r\n");
    const rej = await smtp("reject-rcpt");
    const bad = await sendNoticeEmail({ smtp_host: "127.0.0.1", smtp_port: rej.port, from: "ds01@gpu01.lab" }, "alice@lab.example.org", notice, "x", { now: DATE, heloName: "gpu01" });
    expect(bad).toMatchObject({ channel: "email", ok: false, error: expect.stringMatching(/RCPT TO refused/) });
  });

  it.each([
    ["alice", "lab.example.org", "alice@lab.example.org"],
    ["alice", "@lab.example.org", "alice@lab.example.org"],
    ["alice", null, null],
    ["al ice", "lab.example.org", null],
  ])("userAddress(%s, %s) = %s", (user, domain, expected) => {
    expect(userAddress(user, domain)).toBe(expected);
  });

  it("recipients: the user's address for user notices, admin_to for admin alerts", () => {
    const settings = { smtp_host: "h", from: "f@h.x", user_domain: "lab.org", admin_to: ["root@lab.org", "ops@lab.org"] };
    expect(emailRecipients(notice, settings)).toEqual(["alice@lab.org"]);
    expect(emailRecipients({ ...notice, audience: "admin", user: null }, settings)).toEqual(["root@lab.org", "ops@lab.org"]);
    expect(emailRecipients(notice, { ...settings, user_domain: null })).toEqual([]);
  });

  it("formatMessage splits lines longer than SMTP allows", () => {
    const m = formatMessage("h", { from: "a@b.c", to: "d@e.f", subject: "s", text: "x".repeat(2000), date: DATE });
    const body = m.split("\r\n\r\n")[1] ?? "";
    expect(body.split("\r\n").map((l) => l.length)).toEqual([998, 998, 4, 0]);
  });
});

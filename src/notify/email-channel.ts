// E-mail: a user's notice goes to <user>@<user_domain> (only when a domain is configured), an admin
// alert to every address in `admin_to`. One message per recipient, each with its own result.
import type { DeliveryResult, Notice } from "../model/notice.js";
import { errorText } from "../errors.js";
import { renderHeader } from "./render.js";
import { isMailAddress, sendMail } from "./smtp-client.js";

/** `notifications.email` of resource-limits.yaml. */
export interface EmailSettings {
  smtp_host: string;
  smtp_port?: number | null;
  from: string;
  admin_to?: readonly string[] | null;
  /** Users' address domain: "alice" → "alice@<user_domain>". Without it users get no e-mail. */
  user_domain?: string | null;
  timeout_s?: number | null;
}

/** "alice" + "lab.example.org" → "alice@lab.example.org"; null when no domain or not a valid address. */
export function userAddress(user: string, domain: string | null | undefined): string | null {
  if (!domain) return null;
  const a = `${user}@${domain.replace(/^@/, "")}`;
  return isMailAddress(a) ? a : null;
}

/** Who gets this notice by e-mail. */
export function emailRecipients(notice: Notice, settings: EmailSettings): string[] {
  if (notice.audience === "admin") return [...(settings.admin_to ?? [])];
  const a = notice.user ? userAddress(notice.user, settings.user_domain) : null;
  return a ? [a] : [];
}

export async function sendNoticeEmail(
  settings: EmailSettings,
  to: string,
  notice: Notice,
  text: string,
  ctx: { now: number; heloName: string },
): Promise<DeliveryResult> {
  try {
    await sendMail(
      { host: settings.smtp_host, port: settings.smtp_port ?? 25, timeoutMs: (settings.timeout_s ?? 10) * 1000, heloName: ctx.heloName },
      { from: settings.from, to, subject: `[ds01] ${renderHeader(notice)}`, text, date: ctx.now },
    );
    return { channel: "email", target: to, ok: true, error: null };
  } catch (e) {
    return { channel: "email", target: to, ok: false, error: errorText(e) };
  }
}

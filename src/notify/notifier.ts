// The composition of the channels (the Notifier port).
//
// A user notice goes to:
//   1. every terminal where the owner is logged in (utmp);
//   2. only when no terminal took it (none, or every write failed) and the container is known:
//      the alert file inside the container (default /workspace/.ds01-alerts), through the Engine's
//      archive endpoint or `docker exec` (container-file-channel.ts: no shell needed). The original's rule,
//      kept: a user at a terminal isn't also sent a file, and "stopped" notices are sent *before*
//      the stop by the executor, so the file can still be written then;
//   3. the webhook (`webhook_url`), when configured, in parallel with 1-2;
//   4. e-mail to <user>@<email.user_domain>, when both an SMTP host and a domain are configured.
// An admin alert goes to `admin_webhook_url` (or `webhook_url` when unset) and to `email.admin_to`.
// Every attempt comes back as a DeliveryResult; nothing here throws.
import { hostname } from "node:os";
import type { DeliveryResult, Notice } from "../model/notice.js";
import type { Notifier } from "../model/ports.js";
import { errorText } from "../errors.js";
import { systemClock, type Clock } from "../util/clock.js";
import { silentLogger, type Logger } from "../util/log.js";
import { appendToContainerFile, DEFAULT_CONTAINER_ALERT_FILE, type ContainerFileRuntime } from "./container-file-channel.js";
import { emailRecipients, sendNoticeEmail, type EmailSettings } from "./email-channel.js";
import { renderNotice } from "./render.js";
import { deliverToTtys, type TtyChannelOptions } from "./tty-channel.js";
import { buildWebhookPayload, postWebhook } from "./webhook-channel.js";

/** `notifications:` of resource-limits.yaml (keys as written there; all optional). */
export interface NotificationSettings {
  webhook_url?: string | null;
  admin_webhook_url?: string | null;
  webhook_timeout_s?: number | null; // default 5
  container_alert_file?: string | null; // default /workspace/.ds01-alerts
  email?: EmailSettings | null;
}

export interface NotifierDeps {
  clock?: Clock;
  /** Terminal delivery settings (paths are injectable for tests); `false` turns terminals off. */
  tty?: TtyChannelOptions | false;
  /** Deadline of each Engine call of the in-container append, default 10 s. */
  execTimeoutMs?: number;
  /** Name used in SMTP EHLO and Message-ID, default the host name. */
  heloName?: string;
  logger?: Logger;
}

export function createNotifier(
  settings: NotificationSettings,
  runtime: ContainerFileRuntime | null,
  deps: NotifierDeps = {},
): Notifier {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger ?? silentLogger;
  const webhookTimeoutMs = (settings.webhook_timeout_s ?? 5) * 1000;
  const heloName = deps.heloName ?? safeHostname();

  async function direct(notice: Notice, framed: string): Promise<DeliveryResult[]> {
    const tty = deps.tty === false || !notice.user ? [] : await deliverToTtys(notice.user, framed, deps.tty ?? {});
    if (tty.some((r) => r.ok) || !notice.containerId) return tty;
    if (!runtime) return [...tty, { channel: "container_file", target: `container ${notice.containerId.slice(0, 12)}`, ok: false, error: "no container runtime" }];
    const file = await appendToContainerFile(runtime, notice.containerId, framed, {
      path: settings.container_alert_file ?? DEFAULT_CONTAINER_ALERT_FILE,
      timeoutMs: deps.execTimeoutMs ?? 10_000,
    });
    return [...tty, file];
  }

  async function notify(notice: Notice): Promise<DeliveryResult[]> {
    const now = clock.now();
    const framed = renderNotice(notice, { now });
    const plain = renderNotice(notice, { now, frame: false });
    const jobs: Promise<DeliveryResult[]>[] = [];
    if (notice.audience === "user") jobs.push(guard("tty", direct(notice, framed)));
    const url = notice.audience === "admin" ? (settings.admin_webhook_url ?? settings.webhook_url) : settings.webhook_url;
    if (url) jobs.push(guard("webhook", postWebhook(url, buildWebhookPayload(notice, plain, now), { timeoutMs: webhookTimeoutMs }).then((r) => [r])));
    const email = settings.email;
    if (email?.smtp_host) {
      for (const to of emailRecipients(notice, email)) {
        jobs.push(guard("email", sendNoticeEmail(email, to, notice, plain, { now, heloName }).then((r) => [r])));
      }
    }
    const results = (await Promise.all(jobs)).flat();
    for (const r of results) {
      if (!r.ok) log.warn({ channel: r.channel, target: r.target, error: r.error, user: notice.user, container: notice.containerName }, "notification not delivered");
    }
    return results;
  }

  return { notify };
}

/** Channels return their failures; this catches what a bug might still throw, so notify() never does. */
async function guard(channel: DeliveryResult["channel"], p: Promise<DeliveryResult[]>): Promise<DeliveryResult[]> {
  try {
    return await p;
  } catch (e) {
    return [{ channel, target: "", ok: false, error: errorText(e) }];
  }
}

function safeHostname(): string {
  try {
    return hostname() || "localhost";
  } catch {
    return "localhost";
  }
}

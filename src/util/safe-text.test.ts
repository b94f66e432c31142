import { describe, expect, it } from "vitest";
import { renderTable } from "../cli/events.js";
import { buildWebhookPayload } from "../notify/webhook-channel.js";
import type { AuditEvent } from "../model/audit-event.js";
import type { Notice } from "../model/notice.js";
import { safeCell, safeChatText, safeOutput } from "./safe-text.js";

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("safeCell / safeOutput", () => {
  it("escapes C0, DEL, C1 and bidi controls visibly, newline included in a cell", () => {
    expect(safeCell("a\u001b[2J\u001b]0;t\u0007\nb\u009b\u007f\u202e")).toBe("a\\u001b[2J\\u001b]0;t\\u0007\\u000ab\\u009b\\u007f\\u202e");
    expect(safeCell("plain ünïcode — ok")).toBe("plain ünïcode — ok");
    expect(safeOutput("row 1\trow\n\u001b[2Jrow 2\r\n")).toBe("row 1\trow\n\\u001b[2Jrow 2\\u000d\n");
  });

  it("keeps JSON valid and equal in meaning", () => {
    const json = JSON.stringify({ name: "x\u009b\u202ey" });
    const safe = safeOutput(json);
    expect(safe).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(safe)).toEqual({ name: "x\u009b\u202ey" });
  });
});

describe("safeChatText", () => {
  it("neutralises Slack, Mattermost and Teams mentions", () => {
    const t = safeChatText("stop <!channel> <!here|here> <@U123> @here @all <at>bob</at> a&b x@y");
    expect(t).not.toMatch(/<!|<@|<at>|@here|@all/);
    expect(t).toContain("&lt;!channel&gt;");
    expect(t).toContain("a&amp;b");
  });

  it("is what a webhook payload's text carries", () => {
    const notice: Notice = { audience: "admin", user: "alice", containerId: "c", containerName: "<!channel>", severity: "alert", title: "T", body: "b", facts: {} };
    const p = buildWebhookPayload(notice, "[ALERT] T: <!channel> @here\u001b[2J", 0);
    expect(p.text).toBe("[ALERT] T: &lt;!channel&gt; @\u200bhere\\u001b[2J");
  });
});

describe("ds01 events table", () => {
  it("a label or name with escapes or a newline reaches no terminal and forges no row", () => {
    const e: AuditEvent = {
      time: 0,
      type: "container.started",
      user: "bob\u001b]0;x\u0007",
      container: "c\nFAKE  container.removed  root",
      containerId: null,
      details: { reason: "idle\u001b[2J", label: "\u009b31m" },
    };
    const out = renderTable([e]);
    expect(out).not.toMatch(TERMINAL_CONTROL);
    expect(out.trimEnd().split("\n")).toHaveLength(2);
    expect(out).toContain("bob\\u001b]0;x\\u0007");
  });
});

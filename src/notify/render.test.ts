import { describe, expect, it } from "vitest";
import type { Notice, NoticeSeverity } from "../model/notice.js";
import { asciiSafe } from "./ascii.js";
import { renderFacts, renderHeader, renderNotice, renderQuota } from "./render.js";

const NOW = Date.UTC(2025, 2, 1, 14, 5, 9);

function notice(over: Partial<Notice> = {}): Notice {
  return {
    audience: "user",
    user: "alice",
    containerId: "c0ffee",
    containerName: "train._.alice",
    severity: "warning",
    title: "IDLE CONTAINER",
    body: "This container has been idle for 2h 5m.\nIt will be stopped and removed at 16:05 UTC.",
    facts: {},
    ...over,
  };
}

describe("renderHeader", () => {
  it.each<[NoticeSeverity, string, string | null, string]>([
    ["warning", "IDLE CONTAINER", "train._.alice", "[WARNING] IDLE CONTAINER: train._.alice"],
    ["final_warning", "IDLE CONTAINER", "train._.alice", "[FINAL WARNING] IDLE CONTAINER: train._.alice"],
    ["stopped", "CONTAINER AUTO-STOPPED", "train._.alice", "[STOPPED] CONTAINER AUTO-STOPPED: train._.alice"],
    ["notice", "IDLE CONTAINER (FYI, you are exempt)", "x", "[NOTICE] IDLE CONTAINER (FYI, you are exempt): x"],
    ["alert", "GPU RESET REFUSED", null, "[ALERT] GPU RESET REFUSED"],
  ])("%s / %s / %s", (severity, title, containerName, expected) => {
    expect(renderHeader(notice({ severity, title, containerName }))).toBe(expected);
  });
});

describe("renderNotice", () => {
  it("frames header, time, body, prevention, details and quotas", () => {
    const text = renderNotice(
      notice({
        prevent: ["Run anything in the container, or", "touch /workspace/.keep-alive"],
        facts: { idle_for_s: 7500, gpu_util: 0.5, gpu_idle_threshold: 5, keepalive: null },
        quota: { gpusUsed: 1.5, gpusLimit: 2, memoryLimit: "96g", containersUsed: 2, containersLimit: 3 },
      }),
      { now: NOW },
    );
    const rule = "=".repeat(72);
    expect(text).toBe(
      [
        rule,
        "[WARNING] IDLE CONTAINER: train._.alice",
        "ds01 - 2025-03-01 14:05:09 UTC - user alice",
        "-".repeat(72),
        "This container has been idle for 2h 5m.",
        "It will be stopped and removed at 16:05 UTC.",
        "",
        "To prevent this:",
        "  - Run anything in the container, or",
        "  - touch /workspace/.keep-alive",
        "",
        "Details: idle_for_s=7500 (2h 5m) | gpu_util=0.5 | gpu_idle_threshold=5 | keepalive=unknown",
        "Your quotas: GPUs 1.5/2 | Memory 96g | Containers 2/3",
        rule,
        "",
      ].join("\n"),
    );
  });

  it("without a frame, without facts, quota or prevention lines", () => {
    const text = renderNotice(notice({ severity: "stopped", title: "CONTAINER AUTO-STOPPED", body: "Stopped." }), {
      now: NOW,
      frame: false,
    });
    expect(text).toBe(
      "[STOPPED] CONTAINER AUTO-STOPPED: train._.alice\nds01 - 2025-03-01 14:05:09 UTC - user alice\n\nStopped.\n",
    );
  });

  it("admin alert without user or container", () => {
    const text = renderNotice(
      notice({ audience: "admin", user: null, containerName: null, containerId: null, severity: "alert", title: "GPU RESET REFUSED", body: "MIG enabled.", facts: { gpu_uuid: "GPU-1", processes_left: [11, 12] } }),
      { now: NOW },
    );
    expect(text).toContain("[ALERT] GPU RESET REFUSED\nds01 - 2025-03-01 14:05:09 UTC\n");
    expect(text).toContain("Details: gpu_uuid=GPU-1 | processes_left=11,12\n");
    expect(text).not.toContain("Your quotas");
  });

  it("never lets terminal escape sequences or non-ASCII through", () => {
    const text = renderNotice(
      notice({ containerName: "evil\u001b]0;pwned\u0007name", body: "idle \u2265 95 % \u2014 stop\u009b2J", facts: { "k\u001b": "v\u001b[31m" } }),
      { now: NOW },
    );
    expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
    expect(text).toContain("[WARNING] IDLE CONTAINER: evil?]0;pwned?name");
    expect(text).toContain("idle >= 95 % - stop?2J");
  });
});

describe("renderQuota (items apart, GPUs counted right)", () => {
  it.each([
    [{ gpusUsed: 1, gpusLimit: 2, memoryLimit: "96G", containersUsed: 3, containersLimit: 4 }, "GPUs 1/2 | Memory 96G | Containers 3/4"],
    [{ gpusUsed: 0.25, gpusLimit: null, memoryLimit: null, containersUsed: 0, containersLimit: null }, "GPUs 0.25/unlimited | Memory unlimited | Containers 0/unlimited"],
    [{ gpusUsed: null, gpusLimit: 1, memoryLimit: "32g", containersUsed: null, containersLimit: 2 }, "GPUs ?/1 | Memory 32g | Containers ?/2"],
    [{ gpusUsed: 1 / 3, gpusLimit: 2, memoryLimit: "8g", containersUsed: 1, containersLimit: 1 }, "GPUs 0.333/2 | Memory 8g | Containers 1/1"],
  ])("%j", (q, expected) => {
    expect(renderQuota(q)).toBe(expected);
  });
});

describe("renderFacts", () => {
  it.each<[Record<string, unknown>, string]>([
    [{}, ""],
    [{ a: 1, b: "x" }, "a=1 | b=x"],
    [{ util: null, other: undefined, nan: Number.NaN }, "util=unknown | other=unknown | nan=unknown"],
    [{ timeout_s: 1800, grace_s: 30 }, "timeout_s=1800 (30m) | grace_s=30"],
    [{ exempt: true, keepalive: false }, "exempt=yes | keepalive=no"],
    [{ signals: { gpu: { value: 0 } } }, 'signals={"gpu":{"value":0}}'],
    [{ gpu: { status: "idle", value: 0.5, threshold: 5, source: null } }, "gpu=(status=idle value=0.5 threshold=5 source=unknown)"],
    [{ stop_not_before: Date.UTC(2025, 2, 1, 16, 5, 0), idle_since: null, warned_at: 5 }, "stop_not_before=2025-03-01 16:05:00 UTC | idle_since=unknown | warned_at=5"],
    [{ ratio: 0.1 + 0.2 }, "ratio=0.3"],
  ])("%j", (facts, expected) => {
    expect(renderFacts(facts)).toBe(expected);
  });
});

describe("asciiSafe", () => {
  it.each([
    ["plain text", "plain text"],
    ["a\r\nb\rc", "a\nb\nc"],
    ["tab\there", "tab  here"],
    ["caf\u00e9 \u{1f600}", "caf? ?"],
    ["\u201cquoted\u201d \u2026", '"quoted" ...'],
  ])("%j", (input, expected) => {
    expect(asciiSafe(input)).toBe(expected);
  });
});

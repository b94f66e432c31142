import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../model/audit-event.js";
import { JSONL_MAX_LINE_BYTES, formatJsonlLine, jsonlTimestamp } from "./jsonl-format.js";

const T = Date.UTC(2025, 0, 31, 12, 34, 56, 789);
const base: AuditEvent = { time: T, type: "container.idle_stop", user: "alice", container: "alice-job", containerId: "abc123", details: { idle_h: 2.5 } };

describe("jsonlTimestamp", () => {
  it.each([
    [T, "2025-01-31T12:34:56.789000Z"],
    [Date.UTC(2025, 0, 31, 12, 34, 56, 0), "2025-01-31T12:34:56.000000Z"],
    [0, "1970-01-01T00:00:00.000000Z"],
  ])("%d → %s", (ms, text) => expect(jsonlTimestamp(ms)).toBe(text));
});

describe("formatJsonlLine", () => {
  it("writes the original's field order, compact, on one line", () => {
    expect(formatJsonlLine(base)).toBe(
      '{"timestamp":"2025-01-31T12:34:56.789000Z","event_type":"container.idle_stop","schema_version":"1","user":"alice","source":"ds01",' +
        '"details":{"idle_h":2.5,"container":"alice-job","container_id":"abc123"}}',
    );
  });

  it.each([
    ["no user", { user: null }, (o: Record<string, unknown>) => expect(o).not.toHaveProperty("user")],
    ["empty user", { user: "" }, (o: Record<string, unknown>) => expect(o).not.toHaveProperty("user")],
    ["no container, no details", { container: null, containerId: null, details: {} }, (o: Record<string, unknown>) => expect(o).not.toHaveProperty("details")],
    ["event fields win over details keys", { details: { container: "old" } }, (o: Record<string, unknown>) => expect(o.details).toEqual({ container: "alice-job", container_id: "abc123" })],
    ["newlines in values stay escaped", { details: { msg: "a\nb" } }, (o: Record<string, unknown>) => expect((o.details as { msg: string }).msg).toBe("a\nb")],
  ] as const)("%s", (_n, over, check) => {
    const line = formatJsonlLine({ ...base, ...over })!;
    expect(line).not.toContain("\n");
    check(JSON.parse(line));
  });

  it("replaces details over the size limit by {truncated, original_size}", () => {
    const big = { ...base, details: { blob: "é".repeat(3000) } };
    const line = formatJsonlLine(big)!;
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(JSONL_MAX_LINE_BYTES);
    const o = JSON.parse(line);
    expect(o.details).toEqual({ truncated: true, original_size: expect.any(Number) });
    expect(o.details.original_size).toBeGreaterThan(6000); // bytes, not characters
    expect(o.event_type).toBe("container.idle_stop");
  });

  it("keeps a line of exactly the limit", () => {
    const probe = formatJsonlLine({ ...base, details: { pad: "" } })!;
    const pad = "p".repeat(JSONL_MAX_LINE_BYTES - Buffer.byteLength(probe));
    const line = formatJsonlLine({ ...base, details: { pad } })!;
    expect(Buffer.byteLength(line)).toBe(JSONL_MAX_LINE_BYTES);
    expect(JSON.parse(line).details.pad).toBe(pad);
  });

  it("drops an event that is too large even truncated", () => {
    expect(formatJsonlLine({ ...base, user: "u".repeat(5000) })).toBeNull();
  });
});

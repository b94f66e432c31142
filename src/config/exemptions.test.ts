import { describe, expect, it } from "vitest";
import { isActiveAt, parseEnforcement, parseIsoTime } from "./exemptions.js";

describe("parseIsoTime", () => {
  it.each([
    ["2026-03-01", "2026-03-01T00:00:00.000Z"],
    ["2026-03-01T10:30:00Z", "2026-03-01T10:30:00.000Z"],
    ["2026-03-01T10:30:00", "2026-03-01T10:30:00.000Z"], // no zone = UTC
    ["2026-03-01 10:30", "2026-03-01T10:30:00.000Z"],
    ["2026-03-01T10:30:00+02:00", "2026-03-01T08:30:00.000Z"],
    ["2026-03-01T10:30:00.250Z", "2026-03-01T10:30:00.250Z"],
    ["2024-02-29", "2024-02-29T00:00:00.000Z"],
  ])("%s → %s", (text, iso) => {
    expect(new Date(parseIsoTime(text)!).toISOString()).toBe(iso);
  });

  it.each(["next tuesday", "2026-13-01", "2026-02-30", "2025-02-29", "2026-03-01T25:00:00Z", "", "1709251200", "03/01/2026"])("%j cannot be read", (text) => {
    expect(parseIsoTime(text)).toBeNull();
  });

  it("accepts a Date (YAML timestamp) and rejects other types", () => {
    expect(parseIsoTime(new Date("2026-01-01T00:00:00Z"))).toBe(Date.parse("2026-01-01T00:00:00Z"));
    expect(parseIsoTime(new Date("x"))).toBeNull();
    expect(parseIsoTime(12)).toBeNull();
  });
});

describe("parseEnforcement", () => {
  it.each([
    ["idle_timeout_h", "idle_timeout_h"],
    ["idle_timeout", "idle_timeout_h"],
    ["idle", "idle_timeout_h"],
    ["max_runtime_h", "max_runtime_h"],
    ["max_runtime", "max_runtime_h"],
    ["runtime", "max_runtime_h"],
    ["naps", null],
  ])("%s → %s", (w, e) => {
    expect(parseEnforcement(w)).toBe(e);
  });
});

describe("isActiveAt", () => {
  it("permanent is always active; a dated one until (not at) its expiry", () => {
    expect(isActiveAt({ expiresAt: null }, 1e15)).toBe(true);
    expect(isActiveAt({ expiresAt: 1000 }, 999)).toBe(true);
    expect(isActiveAt({ expiresAt: 1000 }, 1000)).toBe(false);
  });
});

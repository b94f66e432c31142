import { describe, expect, it } from "vitest";
import { parseEnabled, parseId, parseMeasure, parseText } from "./values.js";

describe("parseMeasure", () => {
  it.each([
    ["22437 MiB", "MiB", 22437],
    ["0 %", "%", 0],
    ["100", "%", 100],
    ["66.92 W", "W", 66.92],
    ["  7 MiB ", "MiB", 7],
  ])("%j (%s) → %d", (text, unit, n) => expect(parseMeasure(text, unit)).toBe(n));

  it.each(["N/A", "[N/A]", "[Not Supported]", "[Insufficient Permissions]", "[Unknown Error]", "", "   ", "-", "abc", "12 KiB", "1e999 MiB", "0x10", "NaN"])(
    "%j → null, never 0 or NaN",
    (text) => expect(parseMeasure(text, "MiB")).toBeNull(),
  );

  it("missing element → null", () => {
    expect(parseMeasure(null, "MiB")).toBeNull();
    expect(parseMeasure(undefined)).toBeNull();
  });
});

describe("parseId / parseEnabled / parseText", () => {
  it.each([
    ["0", 0],
    ["10", 10],
    ["N/A", null],
    ["-1", null],
    ["1.5", null],
    [null, null],
  ])("parseId(%j) → %j", (text, n) => expect(parseId(text)).toBe(n));

  it.each([
    ["Enabled", true],
    ["Disabled", false],
    ["N/A", null],
    [null, null],
    ["[Not Supported]", null],
  ])("parseEnabled(%j) → %j", (text, v) => expect(parseEnabled(text)).toBe(v));

  it("parseText keeps real text and drops markers", () => {
    expect(parseText(" ./gpu_burn ")).toBe("./gpu_burn");
    expect(parseText("[N/A]")).toBeNull();
  });
});

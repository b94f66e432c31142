import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";
import { InvalidInputError } from "../errors.js";

describe("parseDuration", () => {
  it.each([
    ["90s", 90_000],
    ["30m", 1_800_000],
    ["2h", 7_200_000],
    ["1.5d", 129_600_000],
    ["1h30m", 5_400_000],
    ["45", 45_000],
  ])("%s → %d ms", (text, ms) => expect(parseDuration(text, "--since")).toBe(ms));

  it("rejects a duration longer than the cap, never an overflow", () => {
    expect(() => parseDuration("9999999999d", "--expires", "d")).toThrow(/--expires: "9999999999d" is too long \(at most 3650d\)/);
    expect(() => parseDuration("1e400", "--for", "h")).toThrow(InvalidInputError);
    expect(parseDuration("3650d", "--expires")).toBe(3650 * 86_400_000);
  });

  it.each(["", "soon", "2x", "h2", "-5m", "1h junk"])("rejects %j with a message naming the option", (text) => {
    expect(() => parseDuration(text, "--since")).toThrow(InvalidInputError);
    expect(() => parseDuration(text, "--since")).toThrow(/--since/);
  });
});

describe("formatDuration", () => {
  it.each([
    [42_000, "42s"],
    [5 * 60_000, "5m"],
    [65 * 60_000, "1h 5m"],
    [50 * 3_600_000, "2d 2h"],
  ])("%d ms → %s", (ms, text) => expect(formatDuration(ms)).toBe(text));
});

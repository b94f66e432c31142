import { describe, expect, it } from "vitest";
import { newRecord } from "../model/record.js";
import type { WarningAction } from "../policy/plan-types.js";
import { UNDELIVERED_ATTEMPTS, countUndelivered, givenUp } from "./undelivered.js";

const warn = (kind: "warn" | "final_warn", reason: "idle" | "max_runtime" = "idle"): WarningAction => ({
  kind, reason, containerId: "c", container: "c", user: "u", summary: "", details: {}, group: "idle:c", marks: {}, notice: { severity: "warning", title: "", body: "" },
});

describe("undelivered warnings", () => {
  const rec = { ...newRecord("c", "c", "u", 0), idleSince: 1_000, firstStartedAt: 500 };

  it("count the same warning of the same idle period until they are given up", () => {
    const one = countUndelivered(rec, warn("warn"), 10);
    expect(one).toEqual({ kind: "warn", reason: "idle", streak: 1_000, attempts: 1, firstAt: 10 });
    expect(givenUp(one)).toBe(false);
    const two = countUndelivered({ ...rec, undelivered: one }, warn("warn"), 20);
    expect(two).toMatchObject({ attempts: 2, firstAt: 10 });
    expect(givenUp(two)).toBe(UNDELIVERED_ATTEMPTS <= 2);
  });

  it("start again for another warning, another reason, or a new idle period", () => {
    const one = countUndelivered(rec, warn("warn"), 10);
    expect(countUndelivered({ ...rec, undelivered: one }, warn("final_warn"), 20).attempts).toBe(1);
    expect(countUndelivered({ ...rec, undelivered: one }, warn("warn", "max_runtime"), 20).attempts).toBe(1);
    expect(countUndelivered({ ...rec, idleSince: 5_000, undelivered: one }, warn("warn"), 20).attempts).toBe(1);
  });
});

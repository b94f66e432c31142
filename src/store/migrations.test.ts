import { describe, expect, it } from "vitest";
import { MIGRATIONS, SCHEMA_VERSION, pendingMigrations } from "./migrations.js";

describe("migrations", () => {
  it("are numbered 1..n and the schema version is the last id", () => {
    expect(MIGRATIONS.map((m) => m.id)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.at(-1)!.id);
    for (const m of MIGRATIONS) expect(m.sql).not.toMatch(/\b(BEGIN|COMMIT|VACUUM)\b/i);
  });

  it.each([
    [0, [1, 2, 3]],
    [1, [2, 3]],
    [3, []],
    [4, []],
  ])("version %d still needs %j", (version, ids) => {
    const list = [1, 2, 3].map((id) => ({ id, name: `m${id}`, sql: "" }));
    expect(pendingMigrations(version, list).map((m) => m.id)).toEqual(ids);
  });

  it("refuses a list with a gap", () => {
    expect(() => pendingMigrations(0, [{ id: 1, name: "a", sql: "" }, { id: 3, name: "c", sql: "" }])).toThrow(/id 3/);
  });
});

import { describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { isSqliteBusy, isSqliteCode, isStoreError } from "./store-error.js";

describe("isStoreError", () => {
  it("is true for SQLite's errors, false for the rest", () => {
    const db = new Database(":memory:");
    let sqlite: unknown;
    try {
      db.exec("SELECT * FROM no_such_table");
    } catch (e) {
      sqlite = e;
    }
    db.close();
    expect(isStoreError(sqlite)).toBe(true);
    expect(isStoreError(Object.assign(new Error("full"), { code: "SQLITE_FULL" }))).toBe(true);
    expect(isStoreError(new Error("nvidia-smi timed out"))).toBe(false);
    expect(isStoreError(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe(false);
    expect(isStoreError(null)).toBe(false);
  });
});

describe("isSqliteCode and isSqliteBusy", () => {
  it("match a code and its extended codes, nothing else", () => {
    const busy = Object.assign(new Error("locked"), { code: "SQLITE_BUSY_SNAPSHOT" });
    expect(isSqliteCode(busy, "SQLITE_BUSY")).toBe(true);
    expect(isSqliteCode(busy, "SQLITE_BUS")).toBe(false);
    expect(isSqliteBusy(busy)).toBe(true);
    expect(isSqliteBusy(Object.assign(new Error("x"), { code: "SQLITE_LOCKED" }))).toBe(true);
    expect(isSqliteBusy(Object.assign(new Error("x"), { code: "SQLITE_FULL" }))).toBe(false);
    expect(isSqliteBusy(null)).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { StoreHealth } from "./store-health.js";

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe("StoreHealth", () => {
  it("notes a failed write with what failed, counts every failure, and clears on the next good write", () => {
    let counted = 0;
    const h = new StoreHealth({ count: () => counted++, log: quiet });
    const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    expect(() => h.guard("recording GPU samples", () => { throw full; })).toThrow(full);
    expect(() => h.guard("recording GPU samples", () => { throw full; })).toThrow(full);
    expect(h.error).toBe("recording GPU samples: database or disk is full");
    expect(counted).toBe(2);
    expect(h.guard("recording GPU samples", () => 7)).toBe(7);
    expect(h.error).toBeNull();
  });

  it("attempt notes a failed write without throwing it, and clears on a good one", () => {
    let counted = 0;
    const h = new StoreHealth({ count: () => counted++, log: quiet });
    h.attempt("recording missing GPUs", () => {
      throw new Error("disk I/O error");
    });
    expect(h.error).toBe("recording missing GPUs: disk I/O error");
    expect(counted).toBe(1);
    let wrote = false;
    h.attempt("recording missing GPUs", () => void (wrote = true));
    expect(wrote).toBe(true);
    expect(h.error).toBeNull();
  });
});

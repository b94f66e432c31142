import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  it("doubles from 1 s and stops at 30 s", () => {
    const b = new Backoff();
    expect(Array.from({ length: 8 }, () => b.next())).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(b.attempts).toBe(8);
  });

  it("starts over after a reset", () => {
    const b = new Backoff({ initialMs: 10, maxMs: 25 });
    expect([b.next(), b.next(), b.next()]).toEqual([10, 20, 25]);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(10);
  });
});

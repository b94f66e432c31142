import { describe, expect, it } from "vitest";
import { MAX_WAIT_MS, RequestRate } from "./request-rate.js";

describe("RequestRate", () => {
  it("lets a burst of twice the rate through at once, then spaces the rest at the rate, refusing what would wait too long", () => {
    let now = 0;
    const r = new RequestRate(() => 10, () => now);
    const waits = Array.from({ length: 40 }, () => r.take(1));
    expect(waits.slice(0, 20)).toEqual(Array(20).fill(0));
    // Then one every 100 ms, up to the longest wait; the rest refused.
    expect(waits.slice(20, 30).map((w) => Math.round(w!))).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(waits.slice(30)).toEqual(Array(10).fill(null));
    expect(Math.max(...waits.filter((w): w is number => w !== null))).toBeLessThanOrEqual(MAX_WAIT_MS);
    // A refused request takes no turn: a second later, the ten promised turns have passed and ten more are free.
    now = 2000;
    expect(r.take(1)).toBe(0);
  });

  it("keeps users apart, and a rate of 0 is no limit", () => {
    const now = 0;
    let rate = 1;
    const r = new RequestRate(() => rate, () => now);
    expect([r.take(1), r.take(1), r.take(1)]).toEqual([0, 0, 1000]);
    expect(r.take(1)).toBeNull();
    expect(r.take(2)).toBe(0); // another user is not held up
    rate = 0;
    expect(Array.from({ length: 100 }, () => r.take(1)).every((w) => w === 0)).toBe(true);
  });

  it("refills with time, to no more than the burst", () => {
    let now = 0;
    const r = new RequestRate(() => 5, () => now);
    for (let i = 0; i < 10; i++) expect(r.take(7)).toBe(0);
    expect(r.take(7)).toBeGreaterThan(0);
    now += 60_000;
    const waits = Array.from({ length: 11 }, () => r.take(7));
    expect(waits.filter((w) => w === 0)).toHaveLength(10);
  });
});

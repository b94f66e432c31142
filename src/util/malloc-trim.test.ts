import { afterEach, expect, it, vi } from "vitest";
import { mallocTrim, trimAfterGrowth } from "./malloc-trim.js";

afterEach(() => vi.useRealTimers());

it("trims on this glibc system", () => {
  expect(mallocTrim()).toBe(true);
});

it("trims only once the resident set grew by the given amount since the last trim, and stops where trimming is impossible", () => {
  vi.useFakeTimers();
  let rss = 100;
  const trims: number[] = [];
  let possible = true;
  const t = trimAfterGrowth({ everyMs: 1000, growthBytes: 10, rss: () => rss, trim: () => (trims.push(rss), (rss -= 5), possible) });
  rss = 109;
  vi.advanceTimersByTime(1000);
  expect(trims).toEqual([]);
  rss = 110;
  vi.advanceTimersByTime(1000);
  expect(trims).toEqual([110]); // now at 105: the next trim waits for 115
  rss = 114;
  vi.advanceTimersByTime(1000);
  expect(trims).toEqual([110]);
  rss = 120;
  possible = false;
  vi.advanceTimersByTime(1000);
  rss = 200;
  vi.advanceTimersByTime(5000);
  expect(trims).toEqual([110, 120]);
  t.stop();
});

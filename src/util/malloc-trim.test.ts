import { afterEach, expect, it, vi } from "vitest";
import { mallocTrim, trimAfterGrowth } from "./malloc-trim.js";

afterEach(() => vi.useRealTimers());

it("trims on this glibc system", () => {
  expect(mallocTrim()).toBe(true);
});

it("trims while the resident set is well above its floor; a trim that releases little raises the floor; none where trimming is impossible", () => {
  vi.useFakeTimers();
  let rss = 100;
  let releases = 0;
  let possible = true;
  const trims: number[] = [];
  const t = trimAfterGrowth({ everyMs: 1000, growthBytes: 16, rss: () => rss, trim: () => (trims.push(rss), (rss -= releases), possible) });
  const tick = (now: number) => ((rss = now), vi.advanceTimersByTime(1000));
  tick(115);
  expect(trims).toEqual([]);
  releases = 10; // mid-burst: 150 → 140, still far above the floor (100)
  tick(150);
  tick(130); // the burst is over: trimmed again, down to 120
  expect(trims).toEqual([150, 130]);
  releases = 1; // 120 → 119: live memory, the floor is now 119
  tick(120);
  tick(130);
  expect(trims).toEqual([150, 130, 120]);
  possible = false;
  tick(140);
  tick(300);
  expect(trims).toEqual([150, 130, 120, 140]);
  t.stop();
});

import { afterEach, expect, it, vi } from "vitest";
import { mallocFreeBytes, mallocTrim, trimAfterGrowth } from "./malloc-trim.js";

afterEach(() => vi.useRealTimers());

it("trims on this glibc system", () => {
  expect(mallocTrim()).toBe(true);
});

it("says how much the C heap holds free on this glibc system", () => {
  const free = mallocFreeBytes();
  expect(typeof free).toBe("number");
  expect(free!).toBeGreaterThanOrEqual(0);
});

it("where the heap's free bytes are unknown: trims while the resident set is well above its floor; a trim that releases little raises the floor; none where trimming is impossible", () => {
  vi.useFakeTimers();
  let rss = 100;
  let releases = 0;
  let possible = true;
  const trims: number[] = [];
  const t = trimAfterGrowth({ everyMs: 1000, growthBytes: 16, rss: () => rss, freeBytes: () => null, trim: () => (trims.push(rss), (rss -= releases), possible) });
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

it("trims once the heap has that much more free than at its lowest since the last trim, even below a floor a burst raised; a trim leaves the count as it was", () => {
  vi.useFakeTimers();
  let rss = 100;
  let free = 50; // glibc's free count: a trim hands pages back but does not lower it
  let release = 1;
  const trims: number[] = [];
  const t = trimAfterGrowth({ everyMs: 1000, growthBytes: 16, rss: () => rss, freeBytes: () => free, trim: () => (trims.push(rss), (rss -= release), true) });
  const tick = (r: number, f: number) => ((rss = r), (free = f), vi.advanceTimersByTime(1000));
  tick(160, 20); // mid-burst, 60 above the floor: trimmed, but it is live memory (160 → 159): the floor is 159
  expect(trims).toEqual([160]);
  tick(165, 25);
  expect(trims).toEqual([160]);
  release = 30;
  tick(130, 44); // the burst's objects collected: far below the floor, but 24 more free than at the lowest (20)
  expect(trims).toEqual([160, 130]);
  tick(100, 44); // the same count after the trim: nothing new to give back
  tick(100, 50);
  expect(trims).toEqual([160, 130]);
  tick(110, 61); // 17 more since the trim
  expect(trims).toEqual([160, 130, 110]);
  t.stop();
});

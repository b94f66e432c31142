import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { StallWatch } from "./stall-watch.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

it("cuts a stream once it has waited on its client for the whole timeout, unbroken", () => {
  const cut = vi.fn();
  const w = new StallWatch(1000, cut);
  w.waiting();
  vi.advanceTimersByTime(999);
  expect(cut).not.toHaveBeenCalled();
  vi.advanceTimersByTime(1);
  expect(cut).toHaveBeenCalledTimes(1);
  w.waiting(); // nothing more after the cut
  vi.advanceTimersByTime(5000);
  expect(cut).toHaveBeenCalledTimes(1);
});

it("starts over when the client moves, and does not count time spent waiting on dockerd", () => {
  const cut = vi.fn();
  const w = new StallWatch(1000, cut);
  w.waiting();
  vi.advanceTimersByTime(800);
  w.waiting(); // the client took (or sent) bytes
  vi.advanceTimersByTime(800);
  w.notWaiting(); // now dockerd is slow
  vi.advanceTimersByTime(10_000);
  expect(cut).not.toHaveBeenCalled();
  w.waiting();
  vi.advanceTimersByTime(1000);
  expect(cut).toHaveBeenCalledTimes(1);
});

it("never cuts a stream that ended", () => {
  const cut = vi.fn();
  const w = new StallWatch(1000, cut);
  w.waiting();
  w.stop();
  w.waiting();
  vi.advanceTimersByTime(5000);
  expect(cut).not.toHaveBeenCalled();
});

/** A client that moves `bytes` every `everyMs` while the stream waits on it, for `forMs`. */
function trickle(w: StallWatch, bytes: number, everyMs: number, forMs: number): void {
  w.waiting();
  for (let t = 0; t < forMs; t += everyMs) {
    vi.advanceTimersByTime(everyMs);
    w.took(bytes);
    w.waiting(); // it moved: the unbroken clock starts over
  }
}

it("cuts a client that moves a little now and then, just inside the timeout, once a timeout's worth of waiting brought less than the least rate", () => {
  const cut = vi.fn();
  const w = new StallWatch(1000, cut, 1024); // 1 KiB/s: 1024 bytes per 1000 ms of waiting
  trickle(w, 10, 900, 900); // never 1000 ms unbroken, 10 bytes so far
  expect(cut).not.toHaveBeenCalled();
  trickle(w, 10, 90, 100);
  expect(cut).toHaveBeenCalledTimes(1);
  expect(cut).toHaveBeenCalledWith({ kind: "trickle", waitedMs: 1000, moved: 20, needed: 1024 });
});

it("never cuts a slow client that keeps up the least rate, window after window", () => {
  const cut = vi.fn();
  const w = new StallWatch(1000, cut, 1024);
  trickle(w, 400, 250, 10_000); // 1600 bytes a second (1200 in each window before its last step)
  expect(cut).not.toHaveBeenCalled();
});

it("counts only time spent waiting on the client towards the rate's window", () => {
  const cut = vi.fn();
  const w = new StallWatch(1000, cut, 1024);
  w.waiting();
  vi.advanceTimersByTime(600);
  w.notWaiting(); // dockerd is slow now: 10 s that do not count
  vi.advanceTimersByTime(10_000);
  expect(cut).not.toHaveBeenCalled();
  w.waiting();
  vi.advanceTimersByTime(399);
  w.took(10);
  w.waiting();
  expect(cut).not.toHaveBeenCalled();
  vi.advanceTimersByTime(1); // 1000 ms waited in all, 10 bytes
  expect(cut).toHaveBeenCalledWith({ kind: "trickle", waitedMs: 1000, moved: 10, needed: 1024 });
});

it("without a least rate, a client that moves now and then is never cut", () => {
  const cut = vi.fn();
  const w = new StallWatch(1000, cut);
  trickle(w, 1, 900, 20_000);
  expect(cut).not.toHaveBeenCalled();
  vi.advanceTimersByTime(1000);
  expect(cut).toHaveBeenCalledWith({ kind: "stalled", waitedMs: 1000 });
});

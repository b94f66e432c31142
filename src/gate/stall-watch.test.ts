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

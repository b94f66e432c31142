import { afterEach, describe, expect, it, vi } from "vitest";
import { realTimers } from "./timers.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("realTimers", () => {
  it("a delay beyond setTimeout's 2^31-1 ms fires on time, not after 1 ms", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const days30 = 30 * 86_400_000;
    realTimers.set(fn, days30);
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(days30 - 2000);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("clear cancels a long delay in any of its legs", () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const h = realTimers.set(fn, 60 * 86_400_000);
    vi.advanceTimersByTime(30 * 86_400_000);
    realTimers.clear(h);
    vi.advanceTimersByTime(60 * 86_400_000);
    expect(fn).not.toHaveBeenCalled();
  });
});

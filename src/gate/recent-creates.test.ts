import { describe, expect, it } from "vitest";
import { RecentCreates } from "./recent-creates.js";

describe("RecentCreates", () => {
  it("keeps each user's creates for the window, drops removed ones, and forgets them after it", () => {
    let now = 1_000;
    const r = new RecentCreates(() => now, 60_000);
    r.add("alice", "a1");
    r.add("bob", "b1");
    now += 30_000;
    r.add("alice", "a2");
    expect(r.of("alice")).toEqual(["a1", "a2"]);
    expect(r.of("bob")).toEqual(["b1"]);
    r.remove("a2");
    expect(r.of("alice")).toEqual(["a1"]);
    now += 30_000; // a1 and b1 are 60 s old
    expect(r.of("alice")).toEqual([]);
    expect(r.of("bob")).toEqual([]);
  });
});

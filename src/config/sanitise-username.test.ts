import { describe, expect, it } from "vitest";
import { nameForms, sanitiseUsername } from "./sanitise-username.js";

describe("sanitiseUsername (the original's rules)", () => {
  it.each([
    ["alice", "alice"],
    ["alice.smith@uni.example", "alice_smith"],
    ["12345@students.example", "12345"],
    ["a..b", "a_b"],
    ["-weird name!", "weird_name"],
    ["dom:user", "dom:user"],
    ["__x__", "x"],
  ])("%s → %s", (raw, expected) => {
    expect(sanitiseUsername(raw)).toBe(expected);
  });

  it("names longer than 32 characters keep 27 and add _ and 4 hex characters of the md5", () => {
    const long = "a".repeat(40);
    const s = sanitiseUsername(long);
    expect(s).toHaveLength(32);
    expect(s).toMatch(/^a{27}_[0-9a-f]{4}$/);
    expect(s.slice(28)).toBe("4697"); // md5("a" x 40) starts with 4697
  });

  it("nameForms: raw first, then the sanitised form when different", () => {
    expect(nameForms("bob")).toEqual(["bob"]);
    expect(nameForms("b.o@x")).toEqual(["b.o@x", "b_o"]);
  });
});

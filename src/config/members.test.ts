import { describe, expect, it } from "vitest";
import { parseMembers } from "./members.js";

describe("parseMembers", () => {
  it("one name a line, # comments, blank lines and surrounding spaces ignored", () => {
    const r = parseMembers("# header\nalice\n  bob   # comment\n\n\tcarol\r\n#dave\n", "f", "student");
    expect(r.users).toEqual(["alice", "bob", "carol"]);
    expect(r.problems).toEqual([]);
  });

  it("a line with two names is ignored with a warning at its position", () => {
    const r = parseMembers("alice\n  bob carol\n", "/c/groups/g.members", "g");
    expect(r.users).toEqual(["alice"]);
    expect(r.problems).toEqual([
      { severity: "warning", file: "/c/groups/g.members", line: 2, col: 3, path: "groups.g.members", message: 'line ignored: "bob carol" is not one user name (write one name a line)' },
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { cgroupNamePart, parentsDir, userParent } from "./names.js";

describe("userParent", () => {
  it("cgroupfs: an absolute path under /ds01; systemd: the original's slice name, nested by dashes", () => {
    expect(userParent({ driver: "cgroupfs" }, "alice", "student")).toEqual({ user: "alice", group: "student", cgroupParent: "/ds01/student-alice", dir: "ds01/student-alice", unit: null });
    expect(userParent({ driver: "systemd" }, "alice", "student")).toEqual({
      user: "alice",
      group: "student",
      cgroupParent: "ds01-student-alice.slice",
      dir: "ds01.slice/ds01-student.slice/ds01-student-alice.slice",
      unit: "ds01-student-alice.slice",
    });
    expect(parentsDir({ driver: "cgroupfs" })).toBe("ds01");
    expect(parentsDir({ driver: "systemd" })).toBe("ds01.slice");
  });

  it.each([
    ["../../etc", /^etc_[0-9a-f]{8}$/],
    ["a/b", /^a_b_[0-9a-f]{8}$/],
    ["a-b", /^a_b_[0-9a-f]{8}$/],
    ["x:y", /^x_y_[0-9a-f]{8}$/],
    ["bob@example.org", /^bob_example_org_[0-9a-f]{8}$/],
    ["..", /^x[0-9a-f]{8}$/],
    ["", /^x[0-9a-f]{8}$/],
    ["ünïcode\n[Slice]", /^n_code_Slice_[0-9a-f]{8}$/],
  ])("hostile name %j becomes %s: nothing but [A-Za-z0-9_]", (name, shape) => {
    const part = cgroupNamePart(name);
    expect(part).toMatch(shape);
    expect(part).toMatch(/^[A-Za-z0-9_]{1,40}$/);
    const p = userParent({ driver: "cgroupfs" }, name, "student");
    expect(p.cgroupParent.split("/")).toEqual(["", "ds01", `student-${part}`]);
    expect(userParent({ driver: "systemd" }, name, "g").unit!.split("-")).toHaveLength(3);
  });

  it("names that reduce to the same text stay apart; a clean name is kept as it is", () => {
    expect(cgroupNamePart("a.b")).not.toBe(cgroupNamePart("a_b"));
    expect(cgroupNamePart("a_b")).toBe("a_b");
    expect(cgroupNamePart("x".repeat(41))).toHaveLength(40);
    expect(cgroupNamePart("x".repeat(41))).not.toBe(cgroupNamePart("x".repeat(42)));
  });
});

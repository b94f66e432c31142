import { describe, expect, it } from "vitest";
import { planStep, writesOf, type InstallSource, type TargetState } from "./plan.js";

const src = (owner: InstallSource["owner"], text = "new"): InstallSource => ({
  from: "/pkg/x",
  target: "/etc/x",
  content: Buffer.from(text),
  mode: 0o644,
  owner,
});

describe("planStep", () => {
  it.each<[string, InstallSource, TargetState, string]>([
    ["missing package file is created", src("package"), { exists: false }, "create"],
    ["missing admin file is created", src("admin"), { exists: false }, "create"],
    ["identical package file is unchanged", src("package", "same"), { exists: true, content: Buffer.from("same") }, "unchanged"],
    ["different package file is updated", src("package", "new"), { exists: true, content: Buffer.from("old") }, "update"],
    ["existing admin file is kept even when different", src("admin", "new"), { exists: true, content: Buffer.from("edited") }, "keep"],
    ["existing admin file is kept when identical", src("admin", "same"), { exists: true, content: Buffer.from("same") }, "keep"],
    ["a directory in the way of a package file is left alone", src("package"), { exists: true, content: null }, "keep"],
  ])("%s", (_name, source, target, action) => {
    expect(planStep(source, target).action).toBe(action);
  });

  it("writesOf keeps only create and update", () => {
    const steps = [
      planStep(src("package"), { exists: false }),
      planStep(src("admin"), { exists: true, content: Buffer.from("x") }),
      planStep(src("package", "a"), { exists: true, content: Buffer.from("b") }),
      planStep(src("package", "a"), { exists: true, content: Buffer.from("a") }),
    ];
    expect(writesOf(steps).map((s) => s.action)).toEqual(["create", "update"]);
  });
});

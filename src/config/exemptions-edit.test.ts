import { describe, expect, it } from "vitest";
import { addExemption, parseExemptionsDocument, removeExemption, type NewExemption } from "./exemptions-edit.js";

const entry = (over: Partial<NewExemption> = {}): NewExemption => ({
  username: "alice",
  exempt_from: ["idle_timeout_h"],
  reason: "r",
  expires_on: "2026-06-30T00:00:00Z",
  approved_by: "root",
  approved_on: "2026-05-01",
  ...over,
});

function edit(text: string, f: (d: ReturnType<typeof parseExemptionsDocument>["doc"]) => unknown): string {
  const { doc, errors } = parseExemptionsDocument(text);
  expect(errors).toEqual([]);
  f(doc);
  return doc.toString();
}

describe("addExemption", () => {
  it.each([
    ["an empty file", ""],
    ["a comments-only file", "# c1\n# c2\n"],
    ["exemptions: []", "# head\nexemptions: []\n"],
    ["exemptions: (null)", "exemptions:\n"],
  ])("into %s writes a block list with quoted dates", (_n, text) => {
    const out = edit(text, (d) => addExemption(d, entry()));
    expect(out).toContain(
      'exemptions:\n  - username: alice\n    exempt_from: [ idle_timeout_h ]\n    reason: r\n    expires_on: "2026-06-30T00:00:00Z"\n    approved_by: root\n    approved_on: "2026-05-01"\n',
    );
    for (const line of text.split("\n").filter((l) => l.startsWith("#"))) expect(out).toContain(line);
  });

  it("updates an entry with the same user and set of enforcements in place", () => {
    const text = "exemptions:\n  # keep\n  - username: alice\n    exempt_from: [idle]\n    reason: old\n";
    let outcome = "";
    const out = edit(text, (d) => (outcome = addExemption(d, entry({ reason: "new" }))));
    expect(outcome).toBe("updated");
    expect(out).toContain("# keep");
    expect(out.match(/username/g)).toHaveLength(1);
    expect(out).toContain("reason: new");
  });

  it("refuses a top level that is not a mapping", () => {
    const { doc } = parseExemptionsDocument("- a\n");
    expect(() => addExemption(doc, entry())).toThrow(/not a mapping/);
  });
});

describe("removeExemption", () => {
  const text = "exemptions:\n  - {username: a, exempt_from: [idle_timeout_h, max_runtime_h]}\n  - {username: b, exempt_from: [idle_timeout_h]}\n  - {username: a, exempt_from: [idle_timeout_h]}\n";

  it.each([
    [null, 2, ["b"]],
    ["max_runtime_h", 1, ["a", "b", "a"]],
    ["idle_timeout_h", 2, ["a", "b"]],
  ] as const)("from=%s changes %s entries", (from, n, users) => {
    let changed = -1;
    const out = edit(text, (d) => (changed = removeExemption(d, "a", from)));
    expect(changed).toBe(n);
    expect([...out.matchAll(/username: (\w)/g)].map((m) => m[1])).toEqual(users);
  });

  it("nothing to remove changes nothing (the CLI then writes nothing)", () => {
    let changed = -1;
    const out = edit(text, (d) => (changed = removeExemption(d, "zz", null)));
    expect(changed).toBe(0);
    expect(parseExemptionsDocument(out).doc.toJS()).toEqual(parseExemptionsDocument(text).doc.toJS());
  });
});

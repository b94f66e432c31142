import { describe, expect, it } from "vitest";
import { RefusedError } from "../errors.js";
import { requireSystemAuthority } from "./authority.js";

describe("requireSystemAuthority", () => {
  it("lets root decide", () => {
    expect(() => requireSystemAuthority({ uid: 0, userName: "root" }, "ds01 create", "")).not.toThrow();
  });

  it.each([
    [{ uid: 1000, userName: "alice" }, /you are alice/],
    [{ uid: 1000, userName: "" }, /you are uid 1000/],
  ])("refuses anyone else (exit 1), naming the command and the caller: %j", (who, named) => {
    const call = () => requireSystemAuthority(who, "ds01 gpu allocate", "Ask an admin.");
    expect(call).toThrow(RefusedError);
    expect(call).toThrow(/^ds01 gpu allocate decides for the whole system, so only root may run it .*nothing was decided\. Ask an admin\.$/);
    expect(call).toThrow(named);
  });
});

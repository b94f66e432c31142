import { describe, expect, it } from "vitest";
import { encodeUtmpRecord, isSafeTtyLine, parseUtmp, USER_PROCESS, userTtyLines } from "./utmp.js";
import { parsePasswd } from "./passwd.js";

const LOGIN_PROCESS = 6;
const DEAD_PROCESS = 8;

describe("parseUtmp", () => {
  it("reads type, pid, line, user, host and login time of every 384-byte record", () => {
    const buf = Buffer.concat([
      encodeUtmpRecord({ type: 2, line: "~", user: "reboot", host: "6.8.0" }),
      encodeUtmpRecord({ pid: 4242, line: "pts/3", user: "alice", host: "10.0.0.7", loginS: 1_700_000_000 }),
      encodeUtmpRecord({ line: "x".repeat(32), user: "u".repeat(32) }), // fields that fill their whole width (no NUL)
      Buffer.alloc(100), // a trailing partial record
    ]);
    const entries = parseUtmp(buf);
    expect(entries).toHaveLength(3);
    expect(entries[1]).toEqual({ type: USER_PROCESS, pid: 4242, line: "pts/3", user: "alice", host: "10.0.0.7", loginS: 1_700_000_000 });
    expect(entries[2]?.line).toBe("x".repeat(32));
    expect(entries[2]?.user).toBe("u".repeat(32));
  });

  it("an empty file has no records", () => {
    expect(parseUtmp(Buffer.alloc(0))).toEqual([]);
  });
});

describe("userTtyLines", () => {
  const entries = parseUtmp(
    Buffer.concat([
      encodeUtmpRecord({ line: "pts/1", user: "alice" }),
      encodeUtmpRecord({ line: "pts/2", user: "bob" }),
      encodeUtmpRecord({ line: "tty1", user: "alice" }),
      encodeUtmpRecord({ line: "pts/1", user: "alice" }), // duplicate
      encodeUtmpRecord({ type: DEAD_PROCESS, line: "pts/9", user: "alice" }),
      encodeUtmpRecord({ type: LOGIN_PROCESS, line: "tty2", user: "LOGIN" }),
      encodeUtmpRecord({ line: "../etc/passwd", user: "alice" }),
      encodeUtmpRecord({ line: "/etc/shadow", user: "alice" }),
      encodeUtmpRecord({ line: "pts/4", user: "alicex" }),
    ]),
  );
  it.each([
    ["alice", ["pts/1", "tty1"]],
    ["bob", ["pts/2"]],
    ["carol", []],
  ])("%s", (user, expected) => {
    expect(userTtyLines(entries, user)).toEqual(expected);
  });
});

describe("isSafeTtyLine", () => {
  it.each([
    ["pts/0", true],
    ["tty1", true],
    ["ttyS0", true],
    ["", false],
    ["/dev/pts/0", false],
    ["../x", false],
    ["pts/../../etc/passwd", false],
    ["pts//0", false],
    ["pts/0 ; rm", false],
  ])("%j → %s", (line, ok) => {
    expect(isSafeTtyLine(line)).toBe(ok);
  });
});

describe("parsePasswd", () => {
  it("maps names to uids, skipping comments and malformed lines; the first entry wins", () => {
    const m = parsePasswd("root:x:0:0:root:/root:/bin/bash\n# comment\nalice:x:1001:1001::/home/alice:/bin/sh\nbroken\nbob:x:notanumber:1\nalice:x:2000:2000::/:/bin/sh\n");
    expect([...m]).toEqual([
      ["root", 0],
      ["alice", 1001],
    ]);
  });
});

// groups/<group>.members: one user name a line; anything after `#` is a comment.
import type { ConfigProblem } from "./problems.js";

/** A user name with a control character cannot be a login name, and would reach terminals. */
function hasControl(s: string): boolean {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(s); // tab: the "not one name" warning
}

export function parseMembers(text: string, file: string, group: string): { users: string[]; problems: ConfigProblem[] } {
  const users: string[] = [];
  const problems: ConfigProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.split("#")[0]!.trim();
    if (line === "") return;
    if (hasControl(line)) {
      problems.push({ severity: "error", file, line: i + 1, col: raw.indexOf(line) + 1, path: `groups.${group}.members`, message: `${JSON.stringify(line)} contains a control character` });
      return;
    }
    if (/\s/.test(line)) {
      problems.push({
        severity: "warning",
        file,
        line: i + 1,
        col: raw.indexOf(line) + 1,
        path: `groups.${group}.members`,
        message: `line ignored: "${line}" is not one user name (write one name a line)`,
      });
      return;
    }
    users.push(line);
  });
  return { users, problems };
}

// Text that is safe to write on someone's terminal: printable ASCII and newlines only.
// A container name or a config string could carry escape sequences (ESC, C1 controls) that a
// terminal would obey; those never get through. Common typography is spelled out in ASCII.

const TYPOGRAPHY: Readonly<Record<string, string>> = {
  "\u2014": "-", // em dash
  "\u2013": "-", // en dash
  "\u2018": "'",
  "\u2019": "'",
  "\u201c": '"',
  "\u201d": '"',
  "\u2026": "...",
  "\u2265": ">=",
  "\u2264": "<=",
  "\u00d7": "x",
  "\u2192": "->",
  "\u2022": "-",
  "\u00a0": " ",
  "\t": "  ",
};

/** Printable ASCII plus "\n"; CR dropped, tabs as two spaces, anything else as "?". */
export function asciiSafe(text: string): string {
  let out = "";
  for (const ch of text.replace(/\r\n?/g, "\n")) {
    const mapped = TYPOGRAPHY[ch];
    if (mapped !== undefined) out += mapped;
    else if (ch === "\n" || (ch >= " " && ch <= "~")) out += ch;
    else out += "?";
  }
  return out;
}

/** One line: like asciiSafe, with newlines folded to spaces (headers, e-mail subjects, fact values). */
export function asciiLine(text: string): string {
  return asciiSafe(text).replace(/\n+/g, " ").trim();
}

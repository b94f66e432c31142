// Text that reaches a human's terminal or a chat room. Container names, labels, config strings and
// audit details are written by users; a control character in them (ESC sequences that clear the
// screen or set the window title, C1 controls, CR, a newline that forges a table row, bidi overrides
// that reorder a line) must never reach the terminal as such. They are shown as visible \uXXXX
// escapes instead: the same spelling JSON uses, so a JSON document stays valid and means the same.

/** C0 controls, DEL, C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same without newline and tab: for whole blocks of output whose layout ds01 made itself. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_KEEP_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** One table cell or one value inside a line: every control character escaped, newlines included. */
export function safeCell(text: string): string {
  return text.replace(CONTROL, escape);
}

/** A block of output (lines ds01 laid out): controls escaped, newline and tab kept. */
export function safeOutput(text: string): string {
  return text.replace(CONTROL_KEEP_LAYOUT, escape);
}

/**
 * Webhook text for Slack, Mattermost and Teams: a user-chosen name such as `<!channel>`, `<@U123>`,
 * `@here` or `<at>x</at>` must not page a whole room. `<`, `>` and `&` are escaped the way Slack
 * documents, and a zero-width space after `@` breaks Mattermost's and Teams' @-mentions.
 */
export function safeChatText(text: string): string {
  return safeOutput(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/@(?=\w)/g, "@\u200b");
}

import { stripVTControlCharacters } from "node:util";

// After escape sequences are gone: C0 controls but tab and newline (a lone CR would redraw the
// line), DEL, C1 controls (U+009B is a one-character CSI on some terminals), zero-width and
// bidi override/isolate characters (they make text display as something it is not), BOM.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
// What JSON.stringify leaves raw but a terminal may act on.
const RAW_IN_JSON = /[\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * The CLI's one output sanitizer for text that came from the server (names, labels, run
 * errors, messages): escape sequences (OSC 52 clipboard writes, CSI clear-screen, cursor
 * moves...) and control characters are stripped, so printing it cannot act on the terminal.
 */
export function terminalText(text: string): string {
  return stripVTControlCharacters(text).replace(UNSAFE, "");
}

/** Every string inside `value` made terminal-safe; the shape is unchanged. */
export function terminalSafe<T>(value: T): T {
  if (typeof value === "string") return terminalText(value) as T;
  if (Array.isArray(value)) return value.map((item) => terminalSafe(item)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, terminalSafe(v)])) as T;
  }
  return value;
}

/**
 * JSON for --json output: lossless (nothing is stripped, so scripts see what the server
 * sent), with the characters JSON.stringify leaves raw escaped as \uXXXX, so the JSON is
 * terminal-safe as well.
 */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    RAW_IN_JSON,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * The client as the text-mode commands see it: every answer (and every streamed event) passes
 * through terminalSafe before anything is printed.
 */
export function terminalSafeClient<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const member = Reflect.get(target, property, receiver);
      if (typeof member !== "function") return member;
      return (...args: unknown[]) => {
        const result = member.apply(target, args);
        if (result instanceof Promise) return result.then((v) => terminalSafe(v));
        if (result !== null && typeof result === "object" && Symbol.asyncIterator in result) {
          return safeStream(result as AsyncIterable<unknown>);
        }
        return result;
      };
    },
  });
}

async function* safeStream<T>(stream: AsyncIterable<T>): AsyncGenerator<T> {
  for await (const item of stream) yield terminalSafe(item);
}

// Where a JSON syntax error is: JSON.parse names only a character offset in its message
// ("... at position 30", or "Unexpected end of JSON input" for text that stops early), so
// the readers of JSON inputs (--maps-in, --entries, a bundle's manifest.json) turn it into
// file:line:col for their diagnostics, as every other input's errors have.
import type { Location } from "./diag.js";

/** 1-based line and column of a character offset in `text`. */
export function lineColAt(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length))).split("\n");
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

/** The location of JSON.parse's error `e` on `text`; just the file when the message gives no place. */
export function jsonErrorLocation(text: string, file: string, e: unknown): Location {
  const message = e instanceof Error ? e.message : String(e);
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { file, line: Number(lc[1]), col: Number(lc[2]) };
  const at = /position (\d+)/.exec(message);
  if (at) return { file, ...lineColAt(text, Number(at[1])) };
  if (/end of JSON input/.test(message)) return { file, ...lineColAt(text, text.length) };
  return { file };
}

/**
 * JSON.parse's message without the place, which the location now carries, and without the
 * copy of the input V8 quotes after an unexpected token (`Unexpected token 'x', "{ ... }"
 * is not valid JSON`), which would spread the input's lines over the one-line message.
 */
export function jsonErrorReason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message
    .replace(/ in JSON at position \d+( \(line \d+ column \d+\))?$/, "")
    .replace(/ at position \d+$/, "")
    .replace(/, (\.\.\.)?"[^]*" is not valid JSON$/, "");
}

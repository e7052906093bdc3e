// JSON syntax errors as file:line:col (ir/diag/json.ts), for each form of V8's message.
import { describe, expect, it } from "vitest";
import { jsonErrorLocation, jsonErrorReason, lineColAt } from "../../ir/diag/json.js";

const errorOf = (text: string): unknown => {
  try {
    JSON.parse(text);
  } catch (e) {
    return e;
  }
  throw new Error(`${text} parsed`);
};

describe("JSON error locations", () => {
  it.each([
    // [text, line, col]: the character JSON.parse stopped at.
    ['{\n  "a": 1,\n}', 3, 1],
    ['{"a": 1', 1, 8],
    ["[1, 2", 1, 6],
    ["", 1, 1],
  ])("%j stops at %i:%i", (text, line, col) => {
    expect(jsonErrorLocation(text, "f.json", errorOf(text))).toEqual({ file: "f.json", line, col });
  });
  it("the reason is one line, without the position or a copy of the input", () => {
    for (const text of ['{\n "a": x\n}', '{"a": 1,}', "[1, 2", `{"long": [${"1, ".repeat(40)}x]}`]) {
      const reason = jsonErrorReason(errorOf(text));
      expect(reason).not.toMatch(/\n|position|is not valid JSON/);
      expect(reason.length).toBeGreaterThan(5);
    }
  });
  it("lineColAt counts lines from 1 and clamps past the end", () => {
    expect(lineColAt("ab\ncd", 4)).toEqual({ line: 2, col: 2 });
    expect(lineColAt("ab", 99)).toEqual({ line: 1, col: 3 });
  });
});

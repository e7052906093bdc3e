// Source text to CST: cpp (preprocess.ts), the lexer (tokens.ts), the parser
// (parser.ts). Token positions are mapped back through cpp's line markers to the file
// and line they came from, so every later diagnostic names the original file:line:col.
import type { CstNode, IToken } from "chevrotain";
import { diag, DiagnosticError, type Location } from "../../ir/diag/diag.js";
import { cLexer } from "./tokens.js";
import { CParser } from "./parser.js";
import { preprocess, type PreprocessOptions } from "./preprocess.js";

/** Where each line of the preprocessed text came from. */
export class LineMap {
  private readonly starts: { line: number; file: string; origLine: number }[] = [];

  constructor(markers: readonly IToken[], private readonly defaultFile: string) {
    for (const m of markers) {
      const x = /^#(?:line)?\s+(\d+)(?:\s+"((?:[^"\\]|\\.)*)")?/.exec(m.image);
      if (!x) continue;
      // The marker names the line that follows it.
      this.starts.push({ line: (m.startLine ?? 1) + 1, file: x[2] !== undefined ? JSON.parse(`"${x[2]}"`) as string : (this.starts.at(-1)?.file ?? defaultFile), origLine: Number(x[1]) });
    }
  }

  locate(line: number, col: number, length?: number): Location {
    let lo = 0;
    let hi = this.starts.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]!.line <= line) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return { file: this.defaultFile, line, col, length };
    const s = this.starts[best]!;
    return { file: s.file, line: s.origLine + (line - s.line), col, length };
  }

  token(t: IToken): Location {
    return this.locate(t.startLine ?? 1, t.startColumn ?? 1, t.image.length);
  }
}

/** Typedef names the compiler knows without a declaration (clang's builtin types). */
const BUILTIN_TYPEDEFS = ["__builtin_va_list"];

export interface ParsedUnit {
  readonly cst: CstNode;
  readonly lines: LineMap;
  readonly file: string;
}

/** One parser per call: it carries the typedef names of the unit it parses. */
export function parseC(source: string, file: string, opts: PreprocessOptions = {}): ParsedUnit {
  const text = preprocess(source, file, opts);
  return parsePreprocessed(text, file);
}

export function parsePreprocessed(text: string, file: string): ParsedUnit {
  const lexed = cLexer.tokenize(text);
  const lines = new LineMap((lexed.groups["markers"] ?? []) as IToken[], file);
  if (lexed.errors.length) {
    const e = lexed.errors[0]!;
    throw new DiagnosticError(lexed.errors.slice(0, 1).map(() => diag("c-syntax", lines.locate(e.line ?? 1, e.column ?? 1), [`unexpected character '${text.substr(e.offset, 1)}'`])));
  }
  const parser = new CParser();
  parser.startParse(BUILTIN_TYPEDEFS);
  parser.input = lexed.tokens;
  const cst = parser.translationUnit();
  if (parser.errors.length) {
    const e = parser.errors[0]!;
    const t = e.token;
    const loc = t.tokenType.name === "EOF" ? lines.locate(lexed.tokens.at(-1)?.endLine ?? 1, (lexed.tokens.at(-1)?.endColumn ?? 0) + 1) : lines.token(t);
    const found = t.tokenType.name === "EOF" ? "the end of the input" : `'${t.image}'`;
    const rule = e.context.ruleStack.at(-1) ?? "translationUnit";
    throw new DiagnosticError([diag("c-syntax", loc, [`syntax error: unexpected ${found} in ${rule}`])]);
  }
  return { cst, lines, file };
}

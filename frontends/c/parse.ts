// Source text to CST: cpp (preprocess.ts), the lexer (tokens.ts), the parser
// (parser.ts). Token positions are mapped back through cpp's line markers to the file
// and line they came from, so every later diagnostic names the original file:line:col.
import type { CstNode, IRecognitionException, IToken } from "chevrotain";
import { diag, DiagnosticError, type Diagnostic, type Location } from "../../ir/diag/diag.js";
import { ALL_TOKENS, cLexer } from "./tokens.js";
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
  const parser = new CParser({ validate: false });
  parser.startParse(BUILTIN_TYPEDEFS);
  parser.input = lexed.tokens;
  const cst = parser.translationUnit();
  if (parser.errors.length) {
    throw new DiagnosticError([syntaxError(parser.errors[0]!, lines, lexed.tokens)]);
  }
  return { cst, lines, file };
}

/** Punctuator and keyword spellings by token name, for "expected ';'" messages. */
function spelling(tokenName: string): string {
  const t = ALL_TOKENS.find((x) => x.name === tokenName);
  const src = t?.PATTERN instanceof RegExp ? t.PATTERN.source : undefined;
  if (!src) return tokenName;
  const plain = src.replace(/\\(.)/g, "$1");
  // Keywords: `(?:int)(?![\w$])` → int.
  const kw = /^\(\?:([^|)]+)(?:\|[^)]*)?\)\(\?!/.exec(src);
  if (kw) return kw[1]!;
  return /^[^\w\s]+$/.test(plain) ? plain : tokenName;
}

/**
 * A parse error as clang words it: a missing token is expected right after the previous
 * token ("expected ';' after 'x'"); anything else is unexpected where it stands.
 */
function syntaxError(e: IRecognitionException, lines: LineMap, tokens: readonly IToken[]): Diagnostic {
  const t = e.token;
  const atEnd = t.tokenType.name === "EOF";
  const found = atEnd ? "the end of the input" : `'${t.image}'`;
  const expected = /^Expecting token of type --> (\w+) <--/.exec(e.message)?.[1];
  const prev = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
  if (expected && prev && prev.image !== undefined && prev.tokenType.name !== "EOF" && ["Semicolon", "RParen", "RBracket", "RBrace", "Colon", "Comma"].includes(expected)) {
    const loc = lines.locate(prev.endLine ?? 1, (prev.endColumn ?? 0) + 1, 1);
    return diag("c-syntax", loc, [`expected '${spelling(expected)}' after '${prev.image}'`]);
  }
  const last = tokens.at(-1);
  const loc = atEnd ? lines.locate(last?.endLine ?? 1, (last?.endColumn ?? 0) + 1) : lines.token(t);
  if (expected) return diag("c-syntax", loc, [`expected '${spelling(expected)}' before ${found}`]);
  const rule = e.context.ruleStack.at(-1) ?? "translationUnit";
  return diag("c-syntax", loc, [`unexpected ${found} (in ${RULE_WORDS[rule] ?? rule})`]);
}

/** Grammar rules in the words of C11, for messages. */
const RULE_WORDS: Readonly<Record<string, string>> = {
  translationUnit: "a declaration", externalDeclaration: "a declaration", declaration: "a declaration", castExpression: "an expression", unaryExpression: "an expression",
  primaryExpression: "an expression", postfixExpression: "an expression", statement: "a statement", blockItem: "a statement", compoundStatement: "a block",
  declarationSpecifiers: "a declaration", directDeclarator: "a declarator", initializer: "an initialiser",
};

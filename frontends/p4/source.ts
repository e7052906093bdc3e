// Reading P4 source: lexing, parsing and the one preprocessor feature bpfoff implements,
// `#include` (§6.2), followed from the AST's include list: `<name>` from this frontend's
// include folder (core.p4 and the architecture files), `"name"` beside the including file
// first. Each file is included once (include guards make that what C's preprocessor does
// for these headers); other directives are skipped by the lexer. Macros are not expanded.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { diag, DiagnosticError, type Diagnostic } from "../../ir/diag/diag.js";
import type { Decl, Program } from "./ast.js";
import { p4Lexer } from "./lexer.js";
import { parseP4Tokens } from "./parser.js";
import { buildAst } from "./visitor.js";

/** The include folder: beside this file in the source tree; from dist/, back in the source tree. */
export function includeDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "include"), resolve(here, "../../../frontends/p4/include")];
  return candidates.find((d) => existsSync(join(d, "core.p4"))) ?? candidates[0]!;
}

export interface SourceReader {
  /** Text of a file, or undefined when it does not exist. */
  read(path: string): string | undefined;
}

export const diskReader: SourceReader = {
  read: (p) => (existsSync(p) ? readFileSync(p, "utf8") : undefined),
};

/** Lexes and parses one file into declarations; syntax errors become diagnostics. */
export function parseFile(text: string, file: string): { decls: Decl[]; includes: { path: string; system: boolean; pos: Decl["pos"] }[] } {
  const lexed = p4Lexer.tokenize(text);
  const diags: Diagnostic[] = lexed.errors.map((e) => diag("p4-syntax", { file, line: e.line, col: e.column, length: e.length }, [`unexpected character '${text.substr(e.offset, e.length)}'`]));
  if (diags.length) throw new DiagnosticError(diags);
  const { cst, errors } = parseP4Tokens(lexed.tokens);
  if (errors.length) {
    const e = errors[0]!;
    const t = e.token;
    const at = t.image ? `'${t.image}'` : "end of file";
    const last = lexed.tokens[lexed.tokens.length - 1];
    const line = Number.isFinite(t.startLine) ? t.startLine! : (last?.endLine ?? 1);
    const col = Number.isFinite(t.startColumn) ? t.startColumn! : (last?.endColumn ?? 1);
    const expected = /Expecting token of type --> (\w+) <--/.exec(e.message)?.[1];
    const reason = expected ? `expected ${TOKEN_TEXT[expected] ?? expected}, found ${at}` : `unexpected ${at}`;
    throw new DiagnosticError([diag("p4-syntax", { file, line, col, length: t.image.length || 1 }, [reason])]);
  }
  return buildAst(cst, file);
}

/** How a token the parser expected is named in a message. */
const TOKEN_TEXT: Readonly<Record<string, string>> = {
  Semi: "';'", Comma: "','", Colon: "':'", LParen: "'('", RParen: "')'", LBrace: "'{'", RBrace: "'}'", LBracket: "'['", RBracket: "']'",
  Lt: "'<'", Gt: "'>'", Assign: "'='", Identifier: "a name", IntegerLiteral: "an integer",
};

/** A program with its includes followed: declarations in source order, each file once. */
export function loadProgram(text: string, file: string, reader: SourceReader = diskReader, includes = includeDir()): Program {
  const seen = new Set<string>();
  const decls: Decl[] = [];
  const visit = (src: string, name: string, path: string) => {
    seen.add(path);
    const parsed = parseFile(src, name);
    let k = 0;
    for (const d of parsed.decls) {
      if (d.d === "const" && d.name.startsWith("#include ")) {
        const inc = parsed.includes[k++]!;
        const local = resolve(dirname(path), inc.path);
        const sys = join(includes, inc.path);
        const target = !inc.system && reader.read(local) !== undefined ? local : sys;
        if (seen.has(target)) continue;
        const t = reader.read(target) ?? (target === sys ? undefined : reader.read(sys));
        if (t === undefined) throw new DiagnosticError([diag("p4-include", { file: inc.pos.file, line: inc.pos.line, col: inc.pos.col, length: inc.pos.length }, [inc.path])]);
        visit(t, target.startsWith(includes) ? `<${inc.path}>` : inc.path, target);
        continue;
      }
      decls.push(d);
    }
  };
  visit(text, file, resolve(file));
  return { decls };
}

// p4c's STF ("simple test framework") files: one command per line,
//   add <table> [<priority>] <key>:<value>[/<prefix>|&&&<mask>] ... <action>(<args>)
//   packet <port> <hex bytes...>
//   expect <port> <hex bytes, * wildcards...> [$]
// `#` starts a comment. The grammar (Chevrotain, CST only) reads a line as a command word
// and its items; stfCommands() gives them meaning. Other commands (setdefault, wait,
// check_counter) are refused by name.
import { createToken, CstParser, Lexer, type CstNode, type IToken } from "chevrotain";
import { diag, DiagnosticError, fail } from "../../ir/diag/diag.js";
import { parseFieldMatch, parseNumber, type FieldMatch, type TableEntry } from "./entries.js";

const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r]+/, group: Lexer.SKIPPED });
const Comment = createToken({ name: "Comment", pattern: /#[^\n]*/, group: Lexer.SKIPPED });
const Newline = createToken({ name: "Newline", pattern: /\n/, line_breaks: true });
const LParen = createToken({ name: "LParen", pattern: /\(/ });
const RParen = createToken({ name: "RParen", pattern: /\)/ });
const Comma = createToken({ name: "Comma", pattern: /,/ });
const Word = createToken({ name: "Word", pattern: /[^\s(),#]+/ });
const TOKENS = [WhiteSpace, Comment, Newline, LParen, RParen, Comma, Word];
const stfLexer = new Lexer(TOKENS, { positionTracking: "full", ensureOptimizations: false });

class StfParser extends CstParser {
  constructor() {
    super(TOKENS, { recoveryEnabled: false });
    this.performSelfAnalysis();
  }
  stf = this.RULE("stf", () => {
    this.MANY(() => this.OR([{ ALT: () => this.CONSUME(Newline) }, { ALT: () => this.SUBRULE(this.command) }]));
  });
  command = this.RULE("command", () => {
    this.CONSUME(Word, { LABEL: "verb" });
    this.MANY(() => this.SUBRULE(this.item));
    // parseStf ends the text with a newline, so every command ends with one.
    this.CONSUME(Newline);
  });
  // A word, or an action call `name(arg, arg)`.
  item = this.RULE("item", () => {
    this.CONSUME(Word, { LABEL: "word" });
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.MANY_SEP({ SEP: Comma, DEF: () => this.CONSUME2(Word, { LABEL: "arg" }) });
      this.CONSUME(RParen);
    });
  });
}

let shared: StfParser | undefined;

export type StfCommand =
  | { readonly cmd: "add"; readonly entry: TableEntry; readonly line: number; readonly col: number }
  | { readonly cmd: "packet"; readonly port: number; readonly data: Uint8Array; readonly line: number }
  | { readonly cmd: "expect"; readonly port: number; readonly pattern: string; readonly exact: boolean; readonly line: number };

export function parseStf(text: string, file: string): StfCommand[] {
  const lexed = stfLexer.tokenize(text.endsWith("\n") ? text : text + "\n");
  if (lexed.errors.length) {
    const e = lexed.errors[0]!;
    throw new DiagnosticError([diag("stf-syntax", { file, line: e.line, col: e.column }, ["unexpected character"])]);
  }
  const parser = (shared ??= new StfParser());
  parser.input = lexed.tokens;
  const cst = parser.stf();
  if (parser.errors.length) {
    const t = parser.errors[0]!.token;
    throw new DiagnosticError([diag("stf-syntax", { file, line: t.startLine, col: t.startColumn }, [`unexpected '${t.image}'`])]);
  }
  return ((cst.children["command"] ?? []) as CstNode[]).map((c) => command(c, file));
}

function command(c: CstNode, file: string): StfCommand {
  const verb = (c.children["verb"] as IToken[])[0]!;
  const items = ((c.children["item"] ?? []) as CstNode[]).map((i) => ({ word: (i.children["word"] as IToken[])[0]!, args: ((i.children["arg"] ?? []) as IToken[]).map((a) => a.image), call: !!i.children["LParen"] }));
  const line = verb.startLine ?? 1;
  const loc = { file, line, col: verb.startColumn };
  const words = items.map((i) => i.word.image);
  switch (verb.image) {
    case "packet":
    case "expect": {
      if (!words.length) fail("stf-syntax", loc, [`${verb.image} needs a port and bytes`]);
      const port = Number(parseNumber(words[0]!, loc));
      const rest = words.slice(1);
      const exact = rest[rest.length - 1] === "$";
      const hex = (exact ? rest.slice(0, -1) : rest).join("").toLowerCase();
      if (!/^[0-9a-f*]*$/.test(hex) || hex.length % 2) fail("stf-syntax", loc, [`'${hex}' is not an even number of hex digits${verb.image === "expect" ? " (or * wildcards)" : ""}`]);
      if (verb.image === "expect") return { cmd: "expect", port, pattern: hex, exact, line };
      if (hex.includes("*")) fail("stf-syntax", loc, ["a packet cannot contain * wildcards"]);
      return { cmd: "packet", port, data: Uint8Array.from(Buffer.from(hex, "hex")), line };
    }
    case "add": {
      if (items.length < 2) fail("stf-syntax", loc, ["add needs a table, key matches and an action"]);
      const table = words[0]!;
      let k = 1;
      let priority: number | undefined;
      if (/^\d+$/.test(words[1]!) && !items[1]!.call) {
        priority = Number(words[1]);
        k = 2;
      }
      const match = new Map<string, FieldMatch>();
      let action: { name: string; args: string[] } | undefined;
      for (const it of items.slice(k)) {
        if (it.call) {
          action = { name: it.word.image, args: it.args };
          continue;
        }
        const colon = it.word.image.indexOf(":");
        if (colon < 0) fail("stf-syntax", { file, line, col: it.word.startColumn }, [`'${it.word.image}' is not key:value`]);
        match.set(it.word.image.slice(0, colon), parseFieldMatch(it.word.image.slice(colon + 1), loc));
      }
      if (!action) return fail("stf-syntax", loc, ["add needs an action: name(args)"]);
      const named = action.args.length > 0 && action.args.every((a) => a.includes(":"));
      const params = named ? new Map(action.args.map((a) => [a.slice(0, a.indexOf(":")), parseNumber(a.slice(a.indexOf(":") + 1), loc)])) : action.args.map((a) => parseNumber(a, loc));
      return { cmd: "add", entry: { table, match, action: action.name, params, priority }, line, col: loc.col ?? 1 };
    }
    default:
      return fail("stf-syntax", loc, [`STF command '${verb.image}' is not supported (add, packet, expect)`]);
  }
}

/** Does a packet match an expectation (hex with * nibble wildcards; `$` also fixes the length)? */
export function matchesExpectation(data: Uint8Array, pattern: string, exact: boolean): boolean {
  const hex = Buffer.from(data).toString("hex");
  if (exact ? hex.length !== pattern.length : hex.length < pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) if (pattern[i] !== "*" && pattern[i] !== hex[i]) return false;
  return true;
}

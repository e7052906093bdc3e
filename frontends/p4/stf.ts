// p4c's STF ("simple test framework") files: one command per line (the verbs in any case),
//   add <table> [<priority>] <key>:<value>[/<prefix>|&&&<mask>|..<high>] ... <action>(<args>) [= <id>]
//   setdefault <table> <action>(<args>)
//   remove all | remove <table> [<priority>] <key>:<value> ...
//   packet <port> <hex bytes, spaces allowed>
//   expect <port> [<hex bytes, * wildcard nibbles...> [$]]   (no bytes: any packet)
//   check_counter <counter>(<index>) [packets|bytes] [== != < <= > >= <number>]
//   wait
// `#` starts a comment. The grammar (Chevrotain, CST only) reads a line as a command word
// and its items; command() gives them meaning.
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
  | { readonly cmd: "setdefault"; readonly entry: Pick<TableEntry, "table" | "action" | "params">; readonly line: number; readonly col: number }
  | { readonly cmd: "remove"; readonly entry?: Pick<TableEntry, "table" | "match" | "priority">; readonly line: number; readonly col: number }
  | { readonly cmd: "packet"; readonly port: number; readonly data: Uint8Array; readonly line: number }
  | { readonly cmd: "expect"; readonly port: number; readonly pattern: string; readonly exact: boolean; readonly line: number }
  | { readonly cmd: "check_counter"; readonly counter: string; readonly index: bigint; readonly kind?: "packets" | "bytes"; readonly op: CounterOp; readonly value: bigint; readonly line: number; readonly col: number }
  | { readonly cmd: "wait"; readonly line: number };

/** check_counter's comparisons (p4c's logical_cond). */
export const COUNTER_OPS = {
  "==": (a: bigint, b: bigint) => a === b,
  "!=": (a: bigint, b: bigint) => a !== b,
  "<": (a: bigint, b: bigint) => a < b,
  "<=": (a: bigint, b: bigint) => a <= b,
  ">": (a: bigint, b: bigint) => a > b,
  ">=": (a: bigint, b: bigint) => a >= b,
} as const;
export type CounterOp = keyof typeof COUNTER_OPS;

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

interface Item {
  readonly word: IToken;
  readonly args: string[];
  readonly call: boolean;
}

function command(c: CstNode, file: string): StfCommand {
  const verb = (c.children["verb"] as IToken[])[0]!;
  const items: Item[] = ((c.children["item"] ?? []) as CstNode[]).map((i) => ({ word: (i.children["word"] as IToken[])[0]!, args: ((i.children["arg"] ?? []) as IToken[]).map((a) => a.image), call: !!i.children["LParen"] }));
  const line = verb.startLine ?? 1;
  const col = verb.startColumn ?? 1;
  const loc = { file, line, col };
  const words = items.map((i) => i.word.image);
  const name = verb.image.toLowerCase();
  switch (name) {
    case "packet":
    case "expect": {
      if (!words.length) fail("stf-syntax", loc, [`${name} needs a port${name === "packet" ? " and bytes" : ""}`]);
      const port = Number(parseNumber(words[0]!, loc));
      const rest = words.slice(1);
      const exact = rest[rest.length - 1] === "$";
      const hex = (exact ? rest.slice(0, -1) : rest).join("").toLowerCase();
      if (!/^[0-9a-f*]*$/.test(hex) || hex.length % 2) fail("stf-syntax", loc, [`'${hex}' is not an even number of hex digits${name === "expect" ? " (or * wildcards)" : ""}`]);
      if (name === "expect") return { cmd: "expect", port, pattern: hex, exact, line };
      if (!hex.length) fail("stf-syntax", loc, ["packet needs bytes"]);
      if (hex.includes("*")) fail("stf-syntax", loc, ["a packet cannot contain * wildcards"]);
      return { cmd: "packet", port, data: Uint8Array.from(Buffer.from(hex, "hex")), line };
    }
    case "add": {
      // p4c's `= <id>` names the entry for later commands; nothing here refers to it.
      const eq = words.indexOf("=");
      const used = eq >= 0 ? items.slice(0, eq) : items;
      if (used.length < 2) fail("stf-syntax", loc, ["add needs a table, key matches and an action (none for a value set)"]);
      // Without an action: a member of a parser value set (the control plane says if the table is one).
      const { table, match, priority, action } = tableCommand(used, file, loc, "add");
      return { cmd: "add", entry: { table, match, action: action?.name ?? "", params: actionParams(action?.args ?? [], loc), priority }, line, col };
    }
    case "setdefault": {
      const { table, match, action } = tableCommand(items, file, loc, "setdefault");
      if (!action || match.size) return fail("stf-syntax", loc, ["setdefault takes a table and an action: setdefault <table> name(args)"]);
      return { cmd: "setdefault", entry: { table, action: action.name, params: actionParams(action.args, loc) }, line, col };
    }
    case "remove": {
      if (words.length === 1 && words[0]!.toLowerCase() === "all" && !items[0]!.call) return { cmd: "remove", line, col };
      const { table, match, priority, action } = tableCommand(items, file, loc, "remove");
      if (action) fail("stf-syntax", { file, line, col: action.col }, ["remove names an entry by its key matches, without an action"]);
      return { cmd: "remove", entry: { table, match, priority }, line, col };
    }
    case "check_counter": {
      // check_counter <name>(<index>) [packets|bytes] [<op> <number>]; without a comparison, == 0.
      const [target, ...more] = items;
      if (!target?.call || target.args.length !== 1) return fail("stf-syntax", loc, ["check_counter needs a counter and an index: check_counter name(index) [packets|bytes] [op value]"]);
      const rest = more.map((i) => i.word.image);
      const kind = rest[0] === "packets" || rest[0] === "bytes" ? (rest.shift() as "packets" | "bytes") : undefined;
      let op: CounterOp = "==";
      let value = 0n;
      if (rest.length) {
        if (rest.length !== 2 || !(rest[0]! in COUNTER_OPS)) fail("stf-syntax", loc, [`'${rest.join(" ")}' is not a comparison (${Object.keys(COUNTER_OPS).join(" ")} and a number)`]);
        op = rest[0] as CounterOp;
        value = parseNumber(rest[1]!, loc);
      }
      return { cmd: "check_counter", counter: target.word.image, index: parseNumber(target.args[0]!, loc), kind, op, value, line, col };
    }
    case "wait":
      if (items.length) fail("stf-syntax", loc, ["wait takes nothing"]);
      return { cmd: "wait", line };
    default:
      return fail("stf-syntax", loc, [`STF command '${verb.image}' is not supported (add, setdefault, remove, packet, expect, check_counter, wait)`]);
  }
}

/** `<table> [<priority>] <key>:<match> ... [<action>(<args>)]`, shared by add, setdefault and remove. */
function tableCommand(items: readonly Item[], file: string, loc: { file: string; line: number; col: number }, verb: string) {
  const [first, ...rest] = items;
  if (!first || first.call) return fail("stf-syntax", loc, [`${verb} needs a table name`]);
  let k = 0;
  let priority: number | undefined;
  if (rest[0] && /^\d+$/.test(rest[0].word.image) && !rest[0].call) {
    priority = Number(rest[0].word.image);
    k = 1;
  }
  const match = new Map<string, FieldMatch>();
  let action: { name: string; args: string[]; col: number } | undefined;
  for (const it of rest.slice(k)) {
    const at = { file, line: loc.line, col: it.word.startColumn };
    if (it.call) {
      if (action) fail("stf-syntax", at, ["one action per command"]);
      action = { name: it.word.image, args: it.args, col: it.word.startColumn ?? loc.col };
      continue;
    }
    const colon = it.word.image.indexOf(":");
    if (colon < 0) fail("stf-syntax", at, [`'${it.word.image}' is not key:value`]);
    match.set(it.word.image.slice(0, colon), parseFieldMatch(it.word.image.slice(colon + 1), at));
  }
  return { table: first.word.image, match, priority, action };
}

/** Action arguments: all `name:value` (p4c's form) or all positional. */
function actionParams(args: readonly string[], loc: { file: string; line: number; col: number }): TableEntry["params"] {
  const named = args.length > 0 && args.every((a) => a.includes(":"));
  return named ? new Map(args.map((a) => [a.slice(0, a.indexOf(":")), parseNumber(a.slice(a.indexOf(":") + 1), loc)])) : args.map((a) => parseNumber(a, loc));
}

/** Does a packet match an expectation (hex with * nibble wildcards; `$` also fixes the length)? */
export function matchesExpectation(data: Uint8Array, pattern: string, exact: boolean): boolean {
  const hex = Buffer.from(data).toString("hex");
  if (exact ? hex.length !== pattern.length : hex.length < pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) if (pattern[i] !== "*" && pattern[i] !== hex[i]) return false;
  return true;
}

/**
 * check_counter: the counter's map by its name (`<control>_<name>`, or the bare instance
 * name when one map ends in it), its element `index` read as a little-endian count
 * (a missing element of a sparse counter counts 0). A counter extern counts what it was
 * declared to (packets or bytes), so the STF's packets/bytes word is not checked against it.
 * The maps are read through `read` (map index, key), so that the interpreter's maps and an
 * asic bundle's table images answer alike. Undefined when the check holds, else the failure.
 */
export function checkCounter(
  names: readonly string[],
  read: (map: number, key: Uint8Array) => Uint8Array | undefined,
  keySize: (map: number) => number,
  c: StfCommand & { cmd: "check_counter" },
  loc: { file: string; line: number; col?: number },
): string | undefined {
  let i = names.indexOf(c.counter);
  if (i < 0) {
    const ends = names.flatMap((n, j) => (n.endsWith(`_${c.counter}`) ? [j] : []));
    if (ends.length !== 1) fail("stf-syntax", loc, [`no counter '${c.counter}' (maps: ${names.join(", ")})`]);
    i = ends[0]!;
  }
  if (keySize(i) !== 4) fail("stf-syntax", loc, [`'${c.counter}' (${names[i]}) is not a counter: its key is not a u32 index`]);
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, Number(c.index), true);
  const value = read(i, key);
  const count = value ? value.reduceRight((a, b) => (a << 8n) | BigInt(b), 0n) : 0n;
  if (COUNTER_OPS[c.op](count, c.value)) return undefined;
  return `counter ${names[i]}(${c.index}) is ${count}, expected ${c.op} ${c.value}`;
}

/** What an `expect` line asks of a port. */
export type StfExpect = Pick<StfCommand & { cmd: "expect" }, "port" | "pattern" | "exact" | "line">;

/** A packet that came out of a port, numbered in the order the STF file sent it. */
export interface StfOutput {
  readonly port: number;
  readonly data: Uint8Array;
  readonly packet: number;
}

/**
 * The packets that came out against the STF file's `expect`s: per port, in order; a
 * missing, differing or unexpected packet is a failure. The failures as lines to print,
 * and how many expectations were met.
 */
export function compareOutputs(file: string, expects: readonly StfExpect[], outputs: readonly StfOutput[]): { failures: string[]; met: number } {
  const failures: string[] = [];
  let met = 0;
  const ports = [...new Set([...expects.map((e) => e.port), ...outputs.map((o) => o.port)])].sort((a, b) => a - b);
  for (const port of ports) {
    const want = expects.filter((e) => e.port === port);
    const got = outputs.filter((o) => o.port === port);
    want.forEach((w, i) => {
      const g = got[i];
      if (!g) failures.push(`${file}:${w.line}: expected a packet on port ${port}, none came out\n    expected ${w.pattern}${w.exact ? " $" : ""}`);
      else if (!matchesExpectation(g.data, w.pattern, w.exact)) failures.push(`${file}:${w.line}: packet ${g.packet} on port ${port} differs\n    expected ${w.pattern}${w.exact ? " $" : ""}\n    got      ${Buffer.from(g.data).toString("hex")}`);
      else met++;
    });
    for (const g of got.slice(want.length)) failures.push(`packet ${g.packet} came out of port ${port} unexpectedly: ${Buffer.from(g.data).toString("hex")}`);
  }
  return { failures, met };
}

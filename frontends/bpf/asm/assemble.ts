// Assembler: text → BpfObject. Lexing and parsing are Chevrotain's (tokens.ts, parser.ts);
// this file walks the CST, resolves labels and maps, and encodes each line through the
// FORMS table. Every problem is collected with its file:line:col and reported together.
import type { CstNode, IToken } from "chevrotain";
import { diag, DiagnosticError, type Diagnostic, type Location } from "../../../ir/diag/diag.js";
import { validateSlots } from "../../../ir/bpf/codec.js";
import { insn, lddwSlots, type Insn } from "../../../ir/bpf/insn.js";
import { FORMS_BY_MNEMONIC, MNEMONIC_ALIASES, type Form, type Shape } from "../../../ir/bpf/opcodes.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { MAP_KINDS, type MapDef, type MapKind } from "../../../runtime/maps/def.js";
import { asmLexer } from "./tokens.js";
import { parseAsm } from "./parser.js";

type Operand =
  | { kind: "reg"; n: number; tok: IToken }
  | { kind: "mem"; base: number; off: bigint; offTok?: IToken; tok: IToken }
  | { kind: "imm"; value: bigint; hex: boolean; explicitSign: boolean; tok: IToken }
  | { kind: "label"; name: string; tok: IToken }
  | { kind: "map"; fn: string; name: string; addend: bigint; tok: IToken };

interface Line {
  mnemonic: string;
  forms: readonly Form[];
  operands: Operand[];
  tok: IToken;
  words: IToken[];
}

interface Ctx {
  file: string;
  diags: Diagnostic[];
}

const locOf = (ctx: Ctx, tok: IToken): Location => ({ file: ctx.file, line: tok.startLine ?? 1, col: tok.startColumn ?? 1, length: tok.image.length });

type Children = Record<string, (CstNode | IToken)[] | undefined>;
const kids = (n: CstNode): Children => n.children as Children;
const nodes = (n: CstNode, k: string): CstNode[] => (kids(n)[k] ?? []) as CstNode[];
const toks = (n: CstNode, k: string): IToken[] => (kids(n)[k] ?? []) as IToken[];

/** Assembles text into a one-program object. Throws DiagnosticError with every problem. */
export function assemble(text: string, file = "<input>"): BpfObject {
  const ctx: Ctx = { file, diags: [] };
  const lexed = asmLexer.tokenize(text);
  for (const e of lexed.errors) {
    ctx.diags.push(diag("asm-syntax", { file, line: e.line, col: e.column, length: e.length }, [`unexpected character '${text.substr(e.offset, e.length)}'`]));
  }
  if (ctx.diags.length) throw new DiagnosticError(ctx.diags);
  const { cst, errors } = parseAsm(lexed.tokens);
  for (const e of errors) {
    const t = e.token;
    const where = t.tokenType.name === "EOF" ? lastLoc(ctx, lexed.tokens) : locOf(ctx, t);
    ctx.diags.push(diag("asm-syntax", where, [describeParseError(e.message, t)]));
  }
  if (ctx.diags.length) throw new DiagnosticError(ctx.diags);

  const labels = new Map<string, number>();
  const lines: Line[] = [];
  const maps: MapDef[] = [];
  let slot = 0;
  for (const line of nodes(cst, "line")) {
    for (const l of nodes(line, "label")) {
      const name = toks(l, "name")[0]!;
      if (labels.has(name.image)) ctx.diags.push(diag("asm-label-dup", locOf(ctx, name), [name.image]));
      labels.set(name.image, slot);
    }
    for (const st of nodes(line, "statement")) {
      for (const d of nodes(st, "directive")) directive(ctx, d, maps);
      for (const i of nodes(st, "instruction")) {
        const parsed = instruction(ctx, i);
        if (!parsed) continue;
        lines.push(parsed);
        slot += parsed.mnemonic === "lddw" ? 2 : 1;
      }
    }
  }
  const exits: number[] = [];
  lines.reduce((at, l) => {
    if (l.mnemonic === "exit") exits.push(at);
    return at + (l.mnemonic === "lddw" ? 2 : 1);
  }, 0);
  const slots: Insn[] = [];
  const functions = new Map<number, string>([[0, "main"]]);
  for (const line of lines) {
    const encoded = encodeLine(ctx, line, slots.length, labels, exits, maps, functions);
    slots.push(...encoded);
  }
  if (!ctx.diags.length && slots.length === 0) ctx.diags.push(diag("enc-empty", { file }));
  if (ctx.diags.length) throw new DiagnosticError(ctx.diags);
  const problems = validateSlots(slots, file);
  if (problems.length) throw new DiagnosticError(problems);
  return { programs: [{ name: "main", section: "", slots, functions }], maps, mapInit: new Map(), license: "" };
}

function lastLoc(ctx: Ctx, tokens: IToken[]): Location {
  const t = tokens[tokens.length - 1];
  return t ? { file: ctx.file, line: t.endLine ?? t.startLine ?? 1, col: (t.endColumn ?? t.startColumn ?? 0) + 1 } : { file: ctx.file, line: 1, col: 1 };
}

function describeParseError(message: string, t: IToken): string {
  const found = t.tokenType.name === "EOF" ? "end of input" : `'${t.image}'`;
  if (/Expecting: one of these possible Token sequences|Expecting token of type/.test(message)) return `unexpected ${found}`;
  return `unexpected ${found}: ${message.split("\n")[0]}`;
}

/** `.map NAME KIND key=N value=N entries=N [flags=N]`: declares a map for `map(NAME)` operands. */
function directive(ctx: Ctx, d: CstNode, maps: MapDef[]): void {
  const name = toks(d, "name")[0]!;
  if (name.image !== ".map") {
    ctx.diags.push(diag("asm-syntax", locOf(ctx, name), [`unknown directive '${name.image}' (only .map is supported)`]));
    return;
  }
  const args = nodes(d, "directiveArg");
  const positional: IToken[] = [];
  const named = new Map<string, IToken>();
  for (const a of args) {
    const key = toks(a, "word")[0] ?? toks(a, "number")[0]!;
    const value = toks(a, "valueWord")[0] ?? toks(a, "valueNumber")[0];
    if (value) named.set(key.image, value);
    else positional.push(key);
  }
  const [mapName, kindTok] = positional;
  if (!mapName || !kindTok) {
    ctx.diags.push(diag("asm-syntax", locOf(ctx, name), [".map needs a name and a kind: .map NAME KIND key=N value=N entries=N"]));
    return;
  }
  const kind = MAP_KINDS.find((k) => k.kind === kindTok.image)?.kind as MapKind | undefined;
  if (!kind) {
    ctx.diags.push(diag("asm-syntax", locOf(ctx, kindTok), [`unknown map kind '${kindTok.image}' (${MAP_KINDS.map((k) => k.kind).join(", ")})`]));
    return;
  }
  const num = (k: string, dflt?: number): number => {
    const t = named.get(k);
    if (!t) {
      if (dflt === undefined) ctx.diags.push(diag("asm-syntax", locOf(ctx, name), [`.map ${mapName.image} needs ${k}=N`]));
      return dflt ?? 0;
    }
    const v = Number(t.image);
    if (!Number.isSafeInteger(v) || v < 0) ctx.diags.push(diag("asm-syntax", locOf(ctx, t), [`${k} must be a non-negative integer`]));
    return v;
  };
  maps.push({ name: mapName.image, kind, keySize: num("key"), valueSize: num("value"), maxEntries: num("entries"), flags: num("flags", kind === "lpm_trie" ? 1 : 0) });
}

/** The longest prefix of the words that names a mnemonic; the rest are label operands. */
function resolveMnemonic(words: string[]): { mnemonic: string; used: number } | undefined {
  for (let k = words.length; k >= 1; k--) {
    const name = words.slice(0, k).join(" ");
    const canonical = MNEMONIC_ALIASES[name] ?? name;
    if (FORMS_BY_MNEMONIC.has(canonical)) return { mnemonic: canonical, used: k };
  }
  return undefined;
}

function instruction(ctx: Ctx, node: CstNode): Line | undefined {
  const words = toks(node, "word");
  const first = words[0]!;
  const resolved = resolveMnemonic(words.map((w) => w.image));
  if (!resolved) {
    if (first.image === "lock") ctx.diags.push(diag("asm-operands", locOf(ctx, first), [words.map((w) => w.image).join(" "), "an atomic operation, [%rN+off], %rM"]));
    else ctx.diags.push(diag("asm-mnemonic", locOf(ctx, first), [words.map((w) => w.image).join(" ")]));
    return undefined;
  }
  const operands: Operand[] = words.slice(resolved.used).map((w) => ({ kind: "label", name: w.image, tok: w }));
  for (const op of nodes(node, "operand")) {
    const o = operand(ctx, op);
    if (o) operands.push(o);
  }
  return { mnemonic: resolved.mnemonic, forms: FORMS_BY_MNEMONIC.get(resolved.mnemonic)!, operands, tok: first, words };
}

function register(ctx: Ctx, tok: IToken): number {
  const n = Number(tok.image.replace(/^%?r/, ""));
  if (n > 10) ctx.diags.push(diag("asm-register", locOf(ctx, tok), [tok.image]));
  return n;
}

function immediate(node: CstNode): { value: bigint; hex: boolean; explicitSign: boolean; tok: IToken } {
  const sign = toks(node, "sign")[0];
  const tok = toks(node, "value")[0]!;
  const magnitude = BigInt(tok.image);
  return { value: sign?.image === "-" ? -magnitude : magnitude, hex: /^0x/i.test(tok.image), explicitSign: sign !== undefined, tok: sign ?? tok };
}

function operand(ctx: Ctx, node: CstNode): Operand | undefined {
  const reg = toks(node, "register")[0];
  if (reg) return { kind: "reg", n: register(ctx, reg), tok: reg };
  const mem = nodes(node, "memory")[0];
  if (mem) {
    const base = toks(mem, "base")[0]!;
    const sign = toks(mem, "sign")[0];
    const offTok = toks(mem, "offset")[0];
    const mag = offTok ? BigInt(offTok.image) : 0n;
    return { kind: "mem", base: register(ctx, base), off: sign?.image === "-" ? -mag : mag, offTok, tok: base };
  }
  const imm = nodes(node, "immediate")[0];
  if (imm) return { kind: "imm", ...immediate(imm) };
  const mapRef = nodes(node, "mapRef")[0];
  if (mapRef) {
    const kind = toks(mapRef, "kind")[0]!;
    const addend = nodes(mapRef, "addend")[0];
    return { kind: "map", fn: kind.image, name: toks(mapRef, "name")[0]!.image, addend: addend ? immediate(addend).value : 0n, tok: kind };
  }
  const label = toks(node, "labelRef")[0]!;
  return { kind: "label", name: label.image, tok: label };
}

/** Operand patterns per shape, for arity and kind checks: r register, m memory, i immediate, t target. */
const SHAPE_OPERANDS: Record<Shape, string> = {
  alu_imm: "ri", alu_reg: "rr", unary: "r", movsx: "rr", end: "r", ldx: "rm", st: "mi", stx: "mr", atomic: "mr",
  lddw: "ri", ldabs: "i", ldind: "ri", ja: "t", ja32: "t", jmp_imm: "rit", jmp_reg: "rrt", call: "i", callx: "r", exit: "",
};

const KIND_NAMES: Record<string, string> = { r: "a register", m: "a memory operand [%rN+off]", i: "an immediate", t: "a label or +offset" };

function operandMatches(o: Operand, want: string): boolean {
  switch (want) {
    case "r":
      return o.kind === "reg";
    case "m":
      return o.kind === "mem";
    case "i":
      return o.kind === "imm" || o.kind === "map";
    case "t":
      return o.kind === "label" || o.kind === "imm";
    default:
      return false;
  }
}

/** A local call takes a target like a jump; every other form's operands follow its shape. */
function operandPattern(f: Form): string {
  return f.shape === "call" && f.fixed.src === 1 ? "t" : SHAPE_OPERANDS[f.shape];
}

/** The form a line means: `call` with a register is callx; imm vs reg forms by operand kind. */
function pickForm(line: Line): Form | undefined {
  const forms = line.mnemonic === "call" && line.operands[0]?.kind === "reg" ? FORMS_BY_MNEMONIC.get("callx")! : line.forms;
  const exact = forms.find((f) => {
    const pat = operandPattern(f);
    return pat.length === line.operands.length && [...pat].every((k, i) => operandMatches(line.operands[i]!, k));
  });
  return exact;
}

const INT32_MIN = -(1n << 31n);
const INT32_MAX = (1n << 31n) - 1n;

/**
 * A 32-bit immediate field: signed decimal in [-2^31, 2^31), or a hex bit pattern up to
 * 0xffffffff (so `0xffffff80` means -128, as in ubpf); anything wider is refused.
 */
function imm32(ctx: Ctx, o: Extract<Operand, { kind: "imm" }>, what: string): number {
  const v = o.value;
  const ok = (v >= INT32_MIN && v <= INT32_MAX) || (o.hex && v >= 0n && v <= 0xffffffffn);
  if (!ok) {
    ctx.diags.push(diag("asm-imm-range", locOf(ctx, o.tok), [o.tok.image === "-" ? v.toString() : o.tok.image, what]));
    return 0;
  }
  return Number(BigInt.asIntN(32, v));
}

function off16(ctx: Ctx, v: bigint, tok: IToken): number {
  if (v < -32768n || v > 32767n) {
    ctx.diags.push(diag("asm-off-range", locOf(ctx, tok), [v.toString()]));
    return 0;
  }
  return Number(v);
}

/**
 * Relative target of a jump or local call from a label or an explicit offset. As in the
 * conformance suite's programs, `exit` names the next exit instruction after the jump
 * unless the program defines a label of that name.
 */
function target(ctx: Ctx, o: Operand, at: number, labels: Map<string, number>, exits: readonly number[]): number {
  if (o.kind === "imm") return Number(o.value);
  if (o.kind !== "label") return 0;
  const t = labels.get(o.name) ?? (o.name === "exit" ? exits.find((e) => e > at) : undefined);
  if (t === undefined) {
    ctx.diags.push(diag("asm-label", locOf(ctx, o.tok), [o.name]));
    return 0;
  }
  return t - (at + 1);
}

function encodeLine(ctx: Ctx, line: Line, at: number, labels: Map<string, number>, exits: readonly number[], maps: MapDef[], functions: Map<number, string>): Insn[] {
  const form = pickForm(line);
  const ops = line.operands;
  if (!form) {
    const expected = [...new Set(line.forms.map((f) => [...operandPattern(f)].map((k) => KIND_NAMES[k]).join(", ") || "no operands"))].join(" or ");
    const name = line.words.map((w) => w.image).join(" ");
    ctx.diags.push(diag("asm-operands", locOf(ctx, line.tok), [name, expected]));
    return line.mnemonic === "lddw" ? [insn(0), insn(0)] : [insn(0)];
  }
  const op = form.opcode;
  const fixedOff = form.fixed.off ?? 0;
  const fixedImm = form.fixed.imm ?? 0;
  const fixedSrc = form.fixed.src ?? 0;
  const reg = (i: number): number => (ops[i] as Extract<Operand, { kind: "reg" }>).n;
  const imm = (i: number, what = line.mnemonic): number => imm32(ctx, ops[i] as Extract<Operand, { kind: "imm" }>, what);
  const mem = (i: number): { base: number; off: number } => {
    const m = ops[i] as Extract<Operand, { kind: "mem" }>;
    return { base: m.base, off: off16(ctx, m.off, m.offTok ?? m.tok) };
  };
  switch (form.shape) {
    case "alu_imm":
      return [insn(op, reg(0), 0, fixedOff, imm(1))];
    case "alu_reg":
    case "movsx":
      return [insn(op, reg(0), reg(1), fixedOff, 0)];
    case "unary":
      return [insn(op, reg(0))];
    case "end":
      return [insn(op, reg(0), 0, 0, fixedImm)];
    case "ldx": {
      const m = mem(1);
      return [insn(op, reg(0), m.base, m.off, 0)];
    }
    case "st": {
      const m = mem(0);
      return [insn(op, m.base, 0, m.off, imm(1))];
    }
    case "stx":
    case "atomic": {
      const m = mem(0);
      return [insn(op, m.base, reg(1), m.off, fixedImm)];
    }
    case "lddw":
      return lddw(ctx, line, reg(0), ops[1]!, maps);
    case "ldabs":
      return [insn(op, 0, 0, 0, imm(0))];
    case "ldind":
      return [insn(op, 0, reg(0), 0, imm(1))];
    case "ja":
      return [insn(op, 0, 0, off16(ctx, BigInt(target(ctx, ops[0]!, at, labels, exits)), ops[0]!.tok), 0)];
    case "ja32":
      return [insn(op, 0, 0, 0, target(ctx, ops[0]!, at, labels, exits))];
    case "jmp_imm":
      return [insn(op, reg(0), 0, off16(ctx, BigInt(target(ctx, ops[2]!, at, labels, exits)), ops[2]!.tok), imm(1))];
    case "jmp_reg":
      return [insn(op, reg(0), reg(1), off16(ctx, BigInt(target(ctx, ops[2]!, at, labels, exits)), ops[2]!.tok), 0)];
    case "call": {
      if (fixedSrc === 1) {
        const o = ops[0]!;
        const rel = target(ctx, o, at, labels, exits);
        if (o.kind === "label") functions.set(at + 1 + rel, o.name);
        return [insn(op, 0, 1, 0, rel)];
      }
      return [insn(op, 0, fixedSrc, 0, imm(0, "call"))];
    }
    case "callx":
      return [insn(op, reg(0))];
    case "exit":
      return [insn(op)];
  }
}

/** `lddw %rN, imm64`, `lddw %rN, map(NAME)`, `lddw %rN, map_value(NAME)+off`. */
function lddw(ctx: Ctx, line: Line, dst: number, o: Operand, maps: MapDef[]): Insn[] {
  if (o.kind === "map") {
    const idx = maps.findIndex((m) => m.name === o.name);
    if (idx < 0) ctx.diags.push(diag("asm-map", locOf(ctx, o.tok), [o.name]));
    if (o.fn === "map") return lddwSlots(dst, BigInt(Math.max(idx, 0)) & 0xffffffffn, 1);
    if (o.fn === "map_value") {
      const [lo, hi] = lddwSlots(dst, (BigInt.asUintN(32, o.addend) << 32n) | BigInt(Math.max(idx, 0)), 2);
      return [lo, hi];
    }
    ctx.diags.push(diag("asm-operand", locOf(ctx, o.tok), [2, "lddw", "an immediate, map(NAME) or map_value(NAME)+off"]));
    return lddwSlots(dst, 0n);
  }
  const imm = o as Extract<Operand, { kind: "imm" }>;
  const v = imm.value;
  if (v < -(1n << 63n) || v > (1n << 64n) - 1n) ctx.diags.push(diag("asm-imm-range", locOf(ctx, imm.tok), [imm.tok.image, line.mnemonic]));
  return lddwSlots(dst, v);
}

// The microcode assembler: text -> microwords, through the Chevrotain grammar in parser.ts.
// Every problem is a diagnostic at file:line:col; the assembler collects them all before
// failing. Branch targets are addresses or labels; `printWord` output reads back to the
// same bits (the disassembler's round trip).
import type { CstNode, IToken } from "chevrotain";
import { diag, DiagnosticError, type Diagnostic, type Location } from "../../../ir/diag/diag.js";
import {
  ATOMIC_OPS, COND_CODE, emptyWord, FIELDS, LOOKUP_KINDS, MEM_SIZES, OP_BY_NAME, operandCode, SH_SA, wordProblems, XFER_READ, XFER_WRITE, BANK_SIZE,
  type FieldName, type Operand, type Word,
} from "../isa.js";
import { newNpuParser } from "./parser.js";
import { npuLexer } from "./tokens.js";

type Op =
  | { kind: "reg"; reg: Operand; tok: IToken }
  | { kind: "mem"; base: Operand; off: number; tok: IToken }
  | { kind: "imm"; value: number; inv: boolean; hi: boolean; tok: IToken }
  | { kind: "num"; value: number; tok: IToken }
  | { kind: "word"; word: string; tok: IToken };

interface Line {
  mnemonic: string;
  tok: IToken;
  ops: Op[];
}

const children = (n: CstNode, k: string): CstNode[] => (n.children[k] ?? []) as CstNode[];
const tokens = (n: CstNode, k: string): IToken[] => (n.children[k] ?? []) as IToken[];

export interface Assembled {
  readonly words: Word[];
  readonly labels: ReadonlyMap<string, number>;
}

export function assembleMicrocode(text: string, file = "<input>"): Assembled {
  const problems: Diagnostic[] = [];
  const at = (t: IToken): Location => ({ file, line: t.startLine, col: t.startColumn, length: t.image.length });
  const lexed = npuLexer.tokenize(text);
  for (const e of lexed.errors) problems.push(diag("asm-syntax", { file, line: e.line, col: e.column, length: e.length }, [`unexpected character '${text.substr(e.offset, e.length)}'`]));
  if (problems.length) throw new DiagnosticError(problems);
  const parser = newNpuParser();
  parser.input = lexed.tokens;
  const cst = parser.program();
  if (parser.errors.length) {
    const e = parser.errors[0]!;
    throw new DiagnosticError([diag("asm-syntax", at(e.token), [e.token.image === "" ? "unexpected end of input" : `unexpected '${e.token.image.replace("\n", "\\n")}'`])]);
  }
  const labels = new Map<string, number>();
  const lines: (Line | Word)[] = [];
  for (const line of children(cst, "line")) {
    for (const l of children(line, "label")) {
      const name = tokens(l, "name")[0]!;
      if (labels.has(name.image)) problems.push(diag("asm-label-dup", at(name), [name.image]));
      labels.set(name.image, lines.length);
    }
    for (const st of children(line, "statement")) {
      const d = children(st, "directive")[0];
      if (d) {
        const name = tokens(d, "name")[0]!;
        if (name.image !== ".word") { problems.push(diag("asm-mnemonic", at(name), [name.image])); continue; }
        const v = BigInt(tokens(d, "value")[0]!.image);
        const w = emptyWord();
        // A raw word keeps its bits: decodeWord reads them back field by field.
        for (const [f, lo, width] of FIELDS) w[f] = Number((v >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));
        lines.push(w);
        continue;
      }
      const ins = children(st, "instruction")[0]!;
      const mn = tokens(ins, "mnemonic")[0]!;
      lines.push({ mnemonic: mn.image, tok: mn, ops: children(ins, "operand").map((o) => operand(o, problems, at)) });
    }
  }
  const words = lines.map((l) => ("mnemonic" in l ? encodeLine(l, labels, problems, at) : l));
  if (problems.length) throw new DiagnosticError(problems);
  return { words, labels };
}


function register(tok: IToken, problems: Diagnostic[], at: (t: IToken) => Location): Operand {
  const s = tok.image;
  const m = /^([AB]|\$r|\$w)(\d+)$/.exec(s);
  if (!m) return s === "sa" ? { kind: "sa" } : { kind: "none" };
  const n = Number(m[2]);
  const limit = m[1] === "$r" ? XFER_READ : m[1] === "$w" ? XFER_WRITE : BANK_SIZE;
  if (n >= limit) problems.push(diag("asm-register", at(tok), [s]));
  const kind = m[1] === "$r" ? "xr" : m[1] === "$w" ? "xw" : (m[1] as "A" | "B");
  return { kind, n: Math.min(n, limit - 1) };
}

function operand(node: CstNode, problems: Diagnostic[], at: (t: IToken) => Location): Op {
  const r = tokens(node, "register")[0];
  if (r) return { kind: "reg", reg: register(r, problems, at), tok: r };
  const m = children(node, "memory")[0];
  if (m) {
    const base = tokens(m, "base")[0]!;
    const off = tokens(m, "offset")[0];
    const sign = tokens(m, "sign")[0]?.image === "-" ? -1 : 1;
    return { kind: "mem", base: register(base, problems, at), off: off ? sign * Number(off.image) : 0, tok: base };
  }
  const i = children(node, "immediate")[0];
  if (i) {
    const v = tokens(i, "value")[0]!;
    const sh = tokens(i, "shift")[0];
    if (sh && Number(sh.image) !== 16) problems.push(diag("asm-imm-range", at(sh), [sh.image, "an immediate shift (only <<16)"]));
    return { kind: "imm", value: Number(v.image), inv: tokens(i, "inv").length > 0, hi: sh !== undefined, tok: v };
  }
  const n = tokens(node, "number")[0];
  if (n) return { kind: "num", value: Number(n.image), tok: n };
  const w = tokens(node, "word")[0]!;
  return { kind: "word", word: w.image, tok: w };
}

/** Operand patterns per format, for the operand-count message. */
const SHAPES: Readonly<Record<string, string>> = {
  alu: "dst, a, b|#imm", mov: "dst, src", imm: "dst, #imm16", sh: "dst, a, amount", dsh: "dst, a, b, amount", un: "dst, a",
  br: "target", bl: "dst, target", rtn: "a", mem: "$x, [a+off], sigN[, swap][, ord]", atom: "$w, [a+off], sigN[, swap][, ord]",
  lkp: "$r, mapN, a, b, #flags, sigN[, swap][, ord][, rel]", hlp: "$r, helper, sigN[, swap][, ord]", wait: "mask", none: "",
};

function encodeLine(line: Line, labels: ReadonlyMap<string, number>, problems: Diagnostic[], at: (t: IToken) => Location): Word {
  const w = emptyWord();
  const [base, ...suffix] = line.mnemonic.split(".");
  const info = OP_BY_NAME.get(base === "mov" ? "movb" : base!);
  if (!info) {
    problems.push(diag("asm-mnemonic", at(line.tok), [line.mnemonic]));
    return w;
  }
  w.op = info.code;
  const ops = line.ops;
  const bad = (i: number, want: string) => problems.push(diag("asm-operand", at(ops[i]?.tok ?? line.tok), [i + 1, line.mnemonic, want]));
  const count = (...n: number[]) => {
    if (n.includes(ops.length)) return true;
    problems.push(diag("asm-operands", at(line.tok), [line.mnemonic, SHAPES[info.format] ?? ""]));
    return false;
  };
  const reg = (i: number, f: FieldName) => {
    const o = ops[i];
    if (o?.kind !== "reg") return bad(i, "a register");
    w[f] = operandCode(o.reg);
  };
  const num = (i: number, f: FieldName, max: number, what: string) => {
    const o = ops[i];
    if (o?.kind !== "num") return bad(i, what);
    if (o.value > max) problems.push(diag("asm-imm-range", at(o.tok), [o.value, line.mnemonic]));
    else w[f] = o.value;
  };
  const bSide = (i: number) => {
    const o = ops[i];
    if (o?.kind === "imm") {
      if (o.value > 0xffff) problems.push(diag("asm-imm-range", at(o.tok), [o.value, `${line.mnemonic} (16 bits, then <<16 or ~)`]));
      Object.assign(w, { bimm: 1, imm: o.value & 0xffff, ihi: o.hi ? 1 : 0, inv: o.inv ? 1 : 0 });
    } else reg(i, "b");
  };
  const shift = (i: number) => {
    const o = ops[i];
    if (o?.kind === "reg" && o.reg.kind === "sa") w.sh = SH_SA;
    else num(i, "sh", 63, "a shift amount 0..63 or sa");
  };
  const target = (i: number) => {
    const o = ops[i];
    if (o?.kind === "num") return num(i, "imm", 0xffff, "an address");
    if (o?.kind === "word") {
      const to = labels.get(o.word);
      if (to === undefined) problems.push(diag("asm-label", at(o.tok), [o.word]));
      else w.imm = to;
      return;
    }
    bad(i, "a label or an address");
  };
  const signal = (i: number) => {
    const s = ops[i];
    if (s?.kind !== "word" || !/^sig[0-7]$/.test(s.word)) return bad(i, "a signal sig0..sig7");
    w.sig = Number(s.word.slice(3));
    // Then `swap` (sleep on the signal at once), `ord` (issue in packet order) and `rel`
    // (a found key releases the order: lkp.lookup), in that order.
    let k = i + 1;
    if (ops[k]?.kind === "word" && (ops[k] as { word: string }).word === "swap") { w.swap = 1; k++; }
    if (ops[k]?.kind === "word" && (ops[k] as { word: string }).word === "ord") { w.ord = 1; k++; }
    if (ops[k]?.kind === "word" && (ops[k] as { word: string }).word === "rel") { w.rel = 1; k++; }
    if (k < ops.length) bad(k, "swap, ord or rel");
  };
  const xfer = (i: number, kind: "xr" | "xw") => {
    const o = ops[i];
    if (o?.kind !== "reg" || o.reg.kind !== kind) return bad(i, kind === "xr" ? "a read transfer register $rN" : "a write transfer register $wN");
    w.xfer = (o.reg as { n: number }).n;
  };
  const memRef = (i: number) => {
    const o = ops[i];
    if (o?.kind !== "mem") return bad(i, "[register+offset]");
    w.a = operandCode(o.base);
    if (o.off < -0x8000 || o.off > 0x7fff) problems.push(diag("asm-off-range", at(o.tok), [o.off]));
    w.imm = o.off & 0xffff;
  };
  const size = (s: string | undefined) => {
    const i = MEM_SIZES.indexOf(Number(s) as 1);
    if (i < 0) problems.push(diag("asm-mnemonic", at(line.tok), [line.mnemonic]));
    else w.size = i;
  };
  switch (info.format) {
    case "alu": if (count(3)) { reg(0, "dst"); reg(1, "a"); bSide(2); } break;
    case "mov":
      if (!count(2)) break;
      reg(0, "dst");
      // `mov` picks the side: an A-bank source goes through a, anything else through b.
      if (base === "mova" || (base === "mov" && ops[1]?.kind === "reg" && ops[1].reg.kind === "A")) { w.op = OP_BY_NAME.get("mova")!.code; reg(1, "a"); } else bSide(1);
      break;
    case "imm":
      if (!count(2)) break;
      reg(0, "dst");
      if (ops[1]?.kind === "imm" && !ops[1].inv && !ops[1].hi && ops[1].value <= 0xffff) w.imm = ops[1].value;
      else bad(1, "#imm16");
      break;
    case "sh": if (count(3)) { reg(0, "dst"); reg(1, "a"); shift(2); } break;
    case "dsh": if (count(4)) { reg(0, "dst"); reg(1, "a"); reg(2, "b"); shift(3); } break;
    case "un": if (count(2)) { reg(0, "dst"); reg(1, "a"); } break;
    case "br": {
      const c = COND_CODE.get(suffix[0] ?? "al");
      if (c === undefined || suffix.length > 1) problems.push(diag("asm-mnemonic", at(line.tok), [line.mnemonic]));
      else w.cond = c;
      if (count(1)) target(0);
      break;
    }
    case "bl": if (count(2)) { reg(0, "dst"); target(1); } break;
    case "rtn": if (count(1)) reg(0, "a"); break;
    case "mem": size(suffix[0]); if (count(3, 4, 5)) { xfer(0, base === "rd" ? "xr" : "xw"); memRef(1); signal(2); } break;
    case "atom": {
      const opi = ATOMIC_OPS.indexOf(suffix[0] as "add");
      if (opi < 0) problems.push(diag("asm-mnemonic", at(line.tok), [line.mnemonic]));
      else w.cond = opi;
      size(suffix[1]);
      if (count(3, 4, 5)) { xfer(0, "xw"); memRef(1); signal(2); }
      break;
    }
    case "lkp": {
      const k = LOOKUP_KINDS.indexOf(suffix[0] as "lookup");
      if (k < 0) problems.push(diag("asm-mnemonic", at(line.tok), [line.mnemonic]));
      else w.cond = k;
      if (!count(6, 7, 8, 9)) break;
      xfer(0, "xr");
      const m = ops[1];
      if (m?.kind === "word" && /^map\d+$/.test(m.word) && Number(m.word.slice(3)) < 128) w.sh = Number(m.word.slice(3));
      else bad(1, "a map map0..map127");
      reg(2, "a");
      reg(3, "b");
      if (ops[4]?.kind === "imm" && !ops[4].inv && !ops[4].hi && ops[4].value <= 0xffff) w.imm = ops[4].value;
      else bad(4, "#flags");
      signal(5);
      break;
    }
    case "hlp": if (count(3, 4, 5)) { xfer(0, "xr"); num(1, "imm", 0xffff, "a helper number"); signal(2); } break;
    case "wait": if (count(1)) num(0, "imm", 0xff, "a signal mask"); break;
    case "none": count(0); break;
  }
  if (info.format !== "br" && info.format !== "mem" && info.format !== "atom" && info.format !== "lkp" && suffix.length) problems.push(diag("asm-mnemonic", at(line.tok), [line.mnemonic]));
  if (problems.length === 0) for (const p of wordProblems(w)) problems.push(diag("asm-syntax", at(line.tok), [`${line.mnemonic}: ${p}`]));
  return w;
}

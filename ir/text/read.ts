// Reads the IR's textual form (CST from parser.ts) into a Module, then validates it.
// Errors carry file:line:col.
import type { CstNode, IToken } from "chevrotain";
import { diag, DiagnosticError, type Diagnostic } from "../diag/diag.js";
import { MAP_KINDS, type MapDef, type MapKind } from "../../runtime/maps/def.js";
import { imm, isType, sym, val, word, type Arg, type Block, type BlockCall, type Func, type Inst, type Module, type Param, type Terminator, type Type } from "../core/ir.js";
import { validateModule } from "../core/validate.js";
import { irLexer } from "./tokens.js";
import { parseIrCst } from "./parser.js";

type Children = Record<string, (CstNode | IToken)[] | undefined>;
const nodes = (n: CstNode, k: string): CstNode[] => ((n.children as Children)[k] ?? []) as CstNode[];
const toks = (n: CstNode, k: string): IToken[] => ((n.children as Children)[k] ?? []) as IToken[];

export function parseIr(text: string, file = "<ir>"): Module {
  const diags: Diagnostic[] = [];
  const at = (t: IToken) => ({ file, line: t.startLine ?? 1, col: t.startColumn ?? 1, length: t.image.length });
  const lexed = irLexer.tokenize(text);
  for (const e of lexed.errors) diags.push(diag("ir-syntax", { file, line: e.line, col: e.column }, [`unexpected character '${text.substr(e.offset, e.length)}'`]));
  if (diags.length) throw new DiagnosticError(diags);
  const { cst, errors } = parseIrCst(lexed.tokens);
  for (const e of errors) diags.push(diag("ir-syntax", at(e.token), [`unexpected ${e.token.tokenType.name === "EOF" ? "end of input" : `'${e.token.image}'`}`]));
  if (diags.length) throw new DiagnosticError(diags);

  let type: Module["type"] | undefined;
  const maps: MapDef[] = [];
  const funcs: Func[] = [];
  let func: { name: string; blocks: Block[] } | undefined;
  let block: { name: string; params: Param[]; insts: Inst[]; term?: Terminator; tok: IToken } | undefined;
  const closeBlock = () => {
    if (!block || !func) return;
    if (!block.term) diags.push(diag("ir-syntax", at(block.tok), [`block ${block.name} has no terminator (br, br_if, ret, unreachable)`]));
    else func.blocks.push({ name: block.name, params: block.params, insts: block.insts, term: block.term });
    block = undefined;
  };
  const typeOf = (t: IToken | undefined): Type | undefined => {
    if (!t) return undefined;
    if (isType(t.image)) return t.image;
    diags.push(diag("ir-syntax", at(t), [`unknown type '${t.image}'`]));
    return "i64";
  };

  for (const line of nodes(cst, "line")) {
    const header = nodes(line, "header")[0];
    if (header) {
      const t = toks(header, "type")[0]!;
      if (t.image !== "xdp" && t.image !== "raw") diags.push(diag("ir-syntax", at(t), [`module type must be xdp or raw, not '${t.image}'`]));
      type = t.image as Module["type"];
      continue;
    }
    const m = nodes(line, "mapDecl")[0];
    if (m) {
      const kindTok = toks(m, "kind")[0]!;
      const kind = MAP_KINDS.find((k) => k.kind === kindTok.image)?.kind as MapKind | undefined;
      if (!kind) diags.push(diag("ir-syntax", at(kindTok), [`unknown map kind '${kindTok.image}'`]));
      const fields = new Map(toks(m, "key").map((k, i) => [k.image, Number(toks(m, "value")[i]!.image)]));
      maps.push({ name: toks(m, "name")[0]!.image.slice(1), kind: kind ?? "hash", keySize: fields.get("key") ?? 0, valueSize: fields.get("value") ?? 0, maxEntries: fields.get("entries") ?? 0, flags: fields.get("flags") ?? 0 });
      continue;
    }
    const open = nodes(line, "funcOpen")[0];
    if (open) {
      if (func) diags.push(diag("ir-syntax", at(toks(open, "keyword")[0]!), ["func inside func: missing '}'"]));
      func = { name: toks(open, "name")[0]!.image.slice(1), blocks: [] };
      continue;
    }
    const close = toks(line, "funcClose")[0];
    if (close) {
      closeBlock();
      if (!func) diags.push(diag("ir-syntax", at(close), ["'}' outside a function"]));
      else funcs.push(func);
      func = undefined;
      continue;
    }
    const b = nodes(line, "block")[0];
    if (b) {
      const name = toks(b, "name")[0]!;
      if (!func) {
        diags.push(diag("ir-syntax", at(name), [`block ${name.image} outside a function`]));
        continue;
      }
      closeBlock();
      const params = nodes(b, "param").map((p) => ({ id: Number(toks(p, "value")[0]!.image.slice(1)), type: typeOf(toks(p, "type")[0])! }));
      block = { name: name.image, params, insts: [], tok: name };
      continue;
    }
    const s = nodes(line, "stmt")[0];
    if (!s) continue;
    const opTok = toks(s, "op")[0]!;
    if (!block) {
      diags.push(diag("ir-syntax", at(opTok), [`'${opTok.image}' outside a block`]));
      continue;
    }
    if (block.term) {
      diags.push(diag("ir-syntax", at(opTok), [`'${opTok.image}' after the terminator of ${block.name}`]));
      continue;
    }
    const operands = nodes(s, "operand");
    const resultTok = toks(s, "result")[0];
    const term = terminator(opTok.image, operands, (msg) => diags.push(diag("ir-syntax", at(opTok), [msg])));
    if (term) {
      block.term = term;
      continue;
    }
    const inst: Inst = {
      result: resultTok ? Number(resultTok.image.slice(1)) : undefined,
      type: typeOf(toks(s, "type")[0]),
      op: opTok.image,
      args: operands.map((o) => operand(o, (msg, t) => diags.push(diag("ir-syntax", at(t), [msg])))),
    };
    block.insts.push(inst);
  }
  if (func) diags.push(diag("ir-syntax", { file }, [`function @${func.name} is not closed with '}'`]));
  if (!type) diags.push(diag("ir-syntax", { file, line: 1, col: 1 }, ["the module must start with 'module xdp' or 'module raw'"]));
  if (diags.length) throw new DiagnosticError(diags);
  const module: Module = { type: type!, maps, funcs };
  const invalid = validateModule(module, file);
  if (invalid.length) throw new DiagnosticError(invalid);
  return module;
}

function operand(o: CstNode, error: (msg: string, t: IToken) => void): Arg {
  const v = toks(o, "value")[0];
  if (v) return val(Number(v.image.slice(1)));
  const n = toks(o, "integer")[0];
  if (n) return imm(n.image.startsWith("-") ? -BigInt(n.image.slice(1)) : BigInt(n.image));
  const s = toks(o, "symbol")[0];
  if (s) return sym(s.image.slice(1));
  const w = toks(o, "word")[0]!;
  if (toks(o, "call").length) error(`'${w.image}(...)' is a block call, allowed only in br and br_if`, w);
  return word(w.image);
}

function blockCall(o: CstNode | undefined, error: (msg: string) => void): BlockCall {
  const w = o && toks(o, "word")[0];
  if (!o || !w) {
    error("expected a block name");
    return { block: "?", args: [] };
  }
  return { block: w.image, args: nodes(o, "blockArgs").map((a) => operand(a, (msg) => error(msg))) };
}

function terminator(op: string, ops: CstNode[], error: (msg: string) => void): Terminator | undefined {
  const arity = (n: number) => ops.length !== n && error(`${op} takes ${n} operands`);
  switch (op) {
    case "br":
      arity(1);
      return { op, to: blockCall(ops[0], error) };
    case "br_if":
      arity(3);
      return { op, cond: ops[0] ? operand(ops[0], error) : imm(0), then: blockCall(ops[1], error), else: blockCall(ops[2], error) };
    case "ret":
      arity(1);
      return { op, value: ops[0] ? operand(ops[0], error) : imm(0) };
    case "unreachable":
      arity(0);
      return { op };
    default:
      return undefined;
  }
}

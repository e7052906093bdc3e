// Well-formedness of IR: every opcode known and its operands of the table's kinds, every
// value defined once and before its uses along the block order's dominance (checked as:
// defined in this function), block calls naming blocks with matching parameter counts,
// and result types as the table computes them. Passes run it in their tests.
import { diag, type Diagnostic } from "../diag/diag.js";
import { CTX_FIELDS, OPS, TABLE_MATCH_KINDS } from "./ops.js";
import { REGIONS, successors, type Arg, type Func, type Inst, type Module, type Type } from "./ir.js";

/** The result type an instruction must have, given the types of the values so far. */
export function resultType(inst: Pick<Inst, "op" | "args">, typeOf: (id: number) => Type | undefined): Type | undefined {
  const row = OPS.get(inst.op);
  if (!row || row.result === "none") return undefined;
  if (row.result === "arg0") {
    const a = inst.args[0];
    return a?.kind === "value" ? (typeOf(a.id) ?? "i64") : "i64";
  }
  if (row.result === "field") {
    const w = inst.args[1];
    return w?.kind === "word" ? CTX_FIELDS[w.word]?.type : undefined;
  }
  return row.result;
}

function argMatches(a: Arg, letter: string): boolean {
  switch (letter) {
    case "i": return a.kind === "value" || a.kind === "imm";
    case "v": return a.kind === "value";
    case "n": return a.kind === "imm";
    case "@": return a.kind === "sym";
    case "R": return a.kind === "word" && (REGIONS as readonly string[]).includes(a.word);
    case "F": return a.kind === "word" && a.word in CTX_FIELDS;
    default: return false;
  }
}

/** table.apply's key operands (ops.ts): after the map, (match kind, width 1..64, value) triples. */
function tableApplyProblems(args: readonly Arg[]): string[] {
  const key = args.slice(1);
  if (key.length % 3) return [`key operands come in threes (match kind, width, value), not ${key.length}`];
  const out: string[] = [];
  for (let k = 0; k < key.length; k += 3) {
    const [kind, width, value] = [key[k]!, key[k + 1]!, key[k + 2]!];
    const n = k / 3 + 1;
    if (kind.kind !== "word" || !(TABLE_MATCH_KINDS as readonly string[]).includes(kind.word)) out.push(`key field ${n}: the match kind must be one of ${TABLE_MATCH_KINDS.join(", ")}`);
    if (width.kind !== "imm" || width.value < 1n || width.value > 64n) out.push(`key field ${n}: the width must be an integer from 1 to 64`);
    if (!argMatches(value, "i")) out.push(`key field ${n}: the value must be a value or an integer`);
  }
  return out;
}

export function validateFunc(m: Module, f: Func, file?: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const where = (msg: string) => out.push(diag("ir-invalid", { file }, [`@${f.name}: ${msg}`]));
  const types = new Map<number, Type>();
  const define = (id: number, t: Type, at: string) => {
    if (types.has(id)) where(`%${id} is defined twice (again ${at})`);
    types.set(id, t);
  };
  const blocks = new Map(f.blocks.map((b) => [b.name, b]));
  if (blocks.size !== f.blocks.length) where("two blocks share a name");
  if (!f.blocks.length) where("has no blocks");
  for (const b of f.blocks) {
    for (const p of b.params) define(p.id, p.type, `as a parameter of ${b.name}`);
    for (const i of b.insts) if (i.result !== undefined) define(i.result, i.type ?? "i64", `in ${b.name}`);
  }
  const funcs = new Set(m.funcs.map((x) => x.name));
  const maps = new Set(m.maps.map((x) => x.name));
  const used = (a: Arg, ctx: string) => {
    if (a.kind === "value" && !types.has(a.id)) where(`${ctx} uses %${a.id}, which is never defined`);
  };
  for (const b of f.blocks) {
    for (const i of b.insts) {
      const ctx = `${b.name}: ${i.op}`;
      const row = OPS.get(i.op);
      if (!row) {
        where(`${b.name}: unknown opcode '${i.op}'`);
        continue;
      }
      const fixed = row.args.replace("*", "");
      const variadic = row.args.endsWith("*");
      if (i.args.length < fixed.length || (!variadic && i.args.length > fixed.length)) where(`${ctx} takes ${variadic ? "at least " : ""}${fixed.length} operands, not ${i.args.length}`);
      [...fixed].forEach((letter, k) => {
        const a = i.args[k];
        if (a && !argMatches(a, letter)) where(`${ctx}: operand ${k + 1} has the wrong kind (${a.kind})`);
      });
      for (const a of i.args) used(a, ctx);
      for (const a of i.args) {
        if (a.kind !== "sym") continue;
        const ok = i.op === "call" ? funcs.has(a.name) : i.op.startsWith("map.") || i.op === "global.addr" || i.op === "table.apply" ? maps.has(a.name) : true;
        if (!ok) where(`${ctx} names @${a.name}, which this module does not define`);
      }
      if (i.op === "table.apply") for (const p of tableApplyProblems(i.args)) where(`${ctx}: ${p}`);
      const want = resultType(i, (id) => types.get(id));
      if ((want === undefined) !== (i.result === undefined)) where(`${ctx} ${want === undefined ? "gives no result" : "must name its result"}`);
      else if (want !== undefined && i.type !== want) where(`${ctx}: result type is ${want}, not ${i.type}`);
    }
    const t = b.term;
    if (t.op === "br_if") used(t.cond, `${b.name}: br_if`);
    if (t.op === "ret") used(t.value, `${b.name}: ret`);
    for (const c of successors(t)) {
      const target = blocks.get(c.block);
      if (!target) where(`${b.name} branches to ${c.block}, which does not exist`);
      else if (target.params.length !== c.args.length) where(`${b.name} passes ${c.args.length} values to ${c.block}, which takes ${target.params.length}`);
      for (const a of c.args) used(a, `${b.name}: branch to ${c.block}`);
    }
  }
  if (f.blocks[0] && f.blocks.some((b) => successors(b.term).some((c) => c.block === f.blocks[0]!.name))) where("the entry block must not be a branch target");
  return out;
}

export function validateModule(m: Module, file?: string): Diagnostic[] {
  return m.funcs.flatMap((f) => validateFunc(m, f, file));
}

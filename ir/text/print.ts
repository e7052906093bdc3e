// The IR's textual form. print(parse(text)) == text for every printed module.
//   module xdp
//   map @counts hash key=4 value=8 entries=16 flags=0
//
//   func @prog {
//   bb0(%0: ptr.ctx):
//     %1 = ctx.get %0, data : ptr.packet
//     %2 = ctx.get %0, data_end : ptr.packet
//     %3 = packet.check %1, %2, 14 : i1
//     br_if %3, bb1, bb2
//   ...
//   }
import type { Arg, Block, BlockCall, Func, Inst, Module, Terminator } from "../core/ir.js";

export function printArg(a: Arg): string {
  switch (a.kind) {
    case "value":
      return `%${a.id}`;
    case "imm":
      return a.value.toString();
    case "sym":
      return `@${a.name}`;
    case "word":
      return a.word;
  }
}

function printCall(c: BlockCall): string {
  return c.args.length ? `${c.block}(${c.args.map(printArg).join(", ")})` : c.block;
}

export function printInst(i: Inst): string {
  const lhs = i.result !== undefined ? `%${i.result} = ` : "";
  const args = i.args.length ? " " + i.args.map(printArg).join(", ") : "";
  const ty = i.result !== undefined && i.type ? ` : ${i.type}` : "";
  return `${lhs}${i.op}${args}${ty}`;
}

export function printTerm(t: Terminator): string {
  switch (t.op) {
    case "br":
      return `br ${printCall(t.to)}`;
    case "br_if":
      return `br_if ${printArg(t.cond)}, ${printCall(t.then)}, ${printCall(t.else)}`;
    case "ret":
      return `ret ${printArg(t.value)}`;
    case "unreachable":
      return "unreachable";
  }
}

export function printBlock(b: Block): string {
  const params = b.params.length ? `(${b.params.map((p) => `%${p.id}: ${p.type}`).join(", ")})` : "";
  return [`${b.name}${params}:`, ...b.insts.map((i) => `  ${printInst(i)}`), `  ${printTerm(b.term)}`].join("\n");
}

export function printFunc(f: Func): string {
  return [`func @${f.name} {`, ...f.blocks.map(printBlock), "}"].join("\n");
}

export function printModule(m: Module): string {
  const head = [`module ${m.type}`, ...m.maps.map((d) => `map @${d.name} ${d.kind} key=${d.keySize} value=${d.valueSize} entries=${d.maxEntries} flags=${d.flags}`)];
  return [head.join("\n"), ...m.funcs.map(printFunc)].join("\n\n") + "\n";
}

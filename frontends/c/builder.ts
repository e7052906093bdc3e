// An IR function under construction: blocks appended as the lowering walks the AST, a
// current block that instructions go to, and fresh value ids. A block is closed by its
// terminator; code after a `return` goes to a fresh block no branch reaches, which
// simplify-cfg later removes.
import { type Arg, type Block, type Func, type Inst, type Param, type Terminator, type Type, val } from "../../ir/core/ir.js";
import { resultType } from "../../ir/core/validate.js";

interface OpenBlock {
  name: string;
  params: Param[];
  insts: Inst[];
  term?: Terminator;
}

export class FuncBuilder {
  private readonly blocks: OpenBlock[] = [];
  private current: OpenBlock;
  private nextValue = 0;
  private nextBlock = 0;
  private readonly types = new Map<number, Type>();

  constructor(readonly name: string, entryParams: readonly Type[]) {
    this.current = this.addBlock("entry", entryParams);
  }

  get entryParams(): readonly Param[] {
    return this.blocks[0]!.params;
  }

  private addBlock(name: string, params: readonly Type[]): OpenBlock {
    const b: OpenBlock = { name, params: params.map((t) => this.param(t)), insts: [] };
    this.blocks.push(b);
    return b;
  }

  private param(t: Type): Param {
    const id = this.nextValue++;
    this.types.set(id, t);
    return { id, type: t };
  }

  /** A new block (not yet current), with parameters of the given types. */
  newBlock(hint: string, params: readonly Type[] = []): { name: string; params: Arg[] } {
    const b = this.addBlock(`${hint}${this.nextBlock++}`, params);
    return { name: b.name, params: b.params.map((p) => val(p.id)) };
  }

  /** Continues in block `name`. */
  switchTo(name: string): void {
    this.current = this.blocks.find((b) => b.name === name)!;
  }

  get terminated(): boolean {
    return this.current.term !== undefined;
  }

  typeOf(a: Arg): Type {
    return a.kind === "value" ? (this.types.get(a.id) ?? "i64") : "i64";
  }

  emit(op: string, args: readonly Arg[], type?: Type): Arg {
    this.reopen();
    const id = this.nextValue++;
    const t = type ?? resultType({ op, args }, (x) => this.types.get(x)) ?? "i64";
    this.types.set(id, t);
    this.current.insts.push({ result: id, type: t, op, args });
    return val(id);
  }

  effect(op: string, args: readonly Arg[]): void {
    this.reopen();
    this.current.insts.push({ op, args });
  }

  /** Instructions placed in the entry block (the frame pointer), whatever the current block. */
  emitInEntry(op: string, args: readonly Arg[], type: Type): Arg {
    const id = this.nextValue++;
    this.types.set(id, type);
    this.blocks[0]!.insts.push({ result: id, type, op, args });
    return val(id);
  }

  /** After a terminator, code goes to an unreachable block. */
  private reopen(): void {
    if (this.current.term) this.current = this.addBlock(`dead${this.nextBlock++}`, []);
  }

  terminate(t: Terminator): void {
    this.reopen();
    this.current.term = t;
  }

  br(block: string, args: readonly Arg[] = []): void {
    this.terminate({ op: "br", to: { block, args } });
  }

  brIf(cond: Arg, then: string, otherwise: string): void {
    this.terminate({ op: "br_if", cond, then: { block: then, args: [] }, else: { block: otherwise, args: [] } });
  }

  finish(): Func {
    const blocks: Block[] = this.blocks.map((b) => ({ name: b.name, params: b.params, insts: b.insts, term: b.term ?? { op: "unreachable" } }));
    return { name: this.name, blocks };
  }
}

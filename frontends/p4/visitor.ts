// CST → AST for P4-16: one visitor method per grammar rule (parser.ts), checked by
// Chevrotain's validateVisitor(). The AST keeps positions; nothing is resolved here.
import type { CstNode, IToken } from "chevrotain";
import type { ActionRef, Decl, Expr, Field, Keyset, LocalDecl, Param, ParserState, Pos, Prototype, Stmt, SwitchCase, TableDecl, TypeRef } from "./ast.js";

type Children = Record<string, (CstNode | IToken)[] | undefined>;
const isToken = (x: CstNode | IToken): x is IToken => "image" in x;

/** Parses a P4 integer literal (§6.3.3.3): `16w0x800`, `8s5`, `0b1010`, `1_000`. */
export function parseIntegerLiteral(image: string): { value: bigint; width?: number; signed?: boolean } {
  const m = /^(?:(\d+)([ws]))?(.*)$/.exec(image)!;
  let body = m[3]!.replace(/_/g, "");
  let value: bigint;
  if (/^0[dD]/.test(body)) body = body.slice(2);
  if (/^0[oO]/.test(body)) value = BigInt("0o" + body.slice(2));
  else value = BigInt(body);
  return m[1] ? { value, width: Number(m[1]), signed: m[2] === "s" } : { value };
}

/** Builds the AST of one file's CST; `file` goes into every position. */
export function buildAst(cst: CstNode, file: string): { decls: Decl[]; includes: { path: string; system: boolean; pos: Pos }[] } {
  return new Builder(file).program(cst);
}

/**
 * The visitor: one method per rule it builds a node from, named after the rule. It walks
 * the labelled CST children directly rather than through Chevrotain's generated visitor
 * base class, because several rules (the binary precedence levels) share one method.
 */
class Builder {
  constructor(private readonly file: string) {}

  private pos(t: IToken): Pos {
    return { file: this.file, line: t.startLine ?? 1, col: t.startColumn ?? 1, length: t.image.length };
  }

  private first(n: CstNode): IToken {
    let best: IToken | undefined;
    for (const list of Object.values(n.children as Children)) {
      for (const c of list ?? []) {
        const t = isToken(c) ? c : this.first(c);
        if (!best || t.startOffset < best.startOffset) best = t;
      }
    }
    return best!;
  }

  private posOf(n: CstNode): Pos {
    const t = this.first(n);
    return { file: this.file, line: t.startLine ?? 1, col: t.startColumn ?? 1 };
  }

  private ch(n: CstNode): Children {
    return n.children as Children;
  }
  private node(n: CstNode, key: string, i = 0): CstNode | undefined {
    return this.ch(n)[key]?.[i] as CstNode | undefined;
  }
  private nodes(n: CstNode, key: string): CstNode[] {
    return (this.ch(n)[key] ?? []) as CstNode[];
  }
  private tok(n: CstNode, key: string, i = 0): IToken | undefined {
    return this.ch(n)[key]?.[i] as IToken | undefined;
  }

  program(n: CstNode) {
    const includes: { path: string; system: boolean; pos: Pos }[] = [];
    const decls: Decl[] = [];
    const items = [...(this.ch(n)["include"] ?? []).map((t) => ({ off: (t as IToken).startOffset, t: t as IToken })), ...this.nodes(n, "declaration").map((d) => ({ off: this.first(d).startOffset, d }))].sort((a, b) => a.off - b.off);
    for (const it of items) {
      if ("t" in it) {
        const m = /[<"]([^>"]*)[>"]/.exec(it.t.image)!;
        includes.push({ path: m[1]!, system: it.t.image.includes("<"), pos: this.pos(it.t) });
        decls.push({ d: "const", type: { kind: "void", pos: this.pos(it.t) }, name: `#include ${m[1]}`, value: { k: "string", value: m[1]!, pos: this.pos(it.t) }, pos: this.pos(it.t) });
      } else decls.push(this.declaration(it.d));
    }
    return { decls, includes };
  }

  name(n: CstNode): string {
    return (Object.values(this.ch(n))[0]![0] as IToken).image;
  }

  declaration(n: CstNode): Decl {
    const c = this.ch(n);
    const key = Object.keys(c).find((k) => k !== "annotations")!;
    const d = c[key]![0] as CstNode;
    switch (key) {
      case "constantDeclaration":
        return this.constantDeclaration(d);
      case "externDeclaration":
        return this.externDeclaration(d);
      case "actionDeclaration":
        return this.actionDeclaration(d);
      case "parserDeclaration":
        return this.parserDeclaration(d);
      case "controlDeclaration":
        return this.controlDeclaration(d);
      case "packageTypeDeclaration":
        return { d: "package", name: this.name(this.node(d, "name")!), typeParams: this.typeParameters(this.node(d, "typeParameters")), params: this.parameterList(this.node(d, "parameterList")!), pos: this.posOf(d) };
      case "headerTypeDeclaration":
        return { d: "header", name: this.name(this.node(d, "name")!), fields: this.structFieldList(this.node(d, "structFieldList")!), pos: this.posOf(d) };
      case "headerUnionDeclaration":
        return { d: "header_union", name: this.name(this.node(d, "name")!), fields: this.structFieldList(this.node(d, "structFieldList")!), pos: this.posOf(d) };
      case "structTypeDeclaration":
        return { d: "struct", name: this.name(this.node(d, "name")!), fields: this.structFieldList(this.node(d, "structFieldList")!), pos: this.posOf(d) };
      case "enumDeclaration":
        return {
          d: "enum",
          name: this.name(this.node(d, "name")!),
          underlying: this.node(d, "underlying") && this.typeRef(this.node(d, "underlying")!),
          members: this.nodes(d, "specifiedIdentifier").map((s) => ({ name: this.name(this.node(s, "name")!), value: this.node(s, "value") && this.expression(this.node(s, "value")!) })),
          pos: this.posOf(d),
        };
      case "typedefDeclaration":
        return { d: "typedef", name: this.name(this.node(d, "name")!), type: this.typeRef(this.node(d, "typeRef")!), pos: this.posOf(d) };
      case "errorDeclaration":
        return { d: "error", members: this.identifierList(this.node(d, "identifierList")!), pos: this.posOf(d) };
      case "matchKindDeclaration":
        return { d: "match_kind", members: this.identifierList(this.node(d, "identifierList")!), pos: this.posOf(d) };
      case "instantiation":
        return this.instantiation(d);
    }
    throw new Error(`bug: declaration ${key}`);
  }

  identifierList(n: CstNode): string[] {
    return this.nodes(n, "name").map((x) => this.name(x));
  }

  structFieldList(n: CstNode): Field[] {
    return this.nodes(n, "structField").map((f) => ({ type: this.typeRef(this.node(f, "typeRef")!), name: this.name(this.node(f, "name")!), pos: this.posOf(this.node(f, "name")!) }));
  }

  constantDeclaration(n: CstNode): LocalDecl & Decl & { d: "const" } {
    return { d: "const", type: this.typeRef(this.node(n, "typeRef")!), name: this.name(this.node(n, "name")!), value: this.expression(this.node(n, "value")!), pos: this.posOf(this.node(n, "name")!) };
  }

  externDeclaration(n: CstNode): Decl {
    const protos = this.nodes(n, "functionPrototype");
    if (this.node(n, "methodPrototype") || (this.node(n, "name") && !protos.length)) {
      return {
        d: "extern",
        name: this.name(this.node(n, "name")!),
        typeParams: this.typeParameters(this.node(n, "typeParameters")),
        methods: this.nodes(n, "methodPrototype").map((m) => {
          const ctor = this.node(m, "ctor");
          if (ctor) return { returnType: undefined, name: this.name(ctor), typeParams: [], params: this.parameterList(this.node(m, "parameterList")!), pos: this.posOf(m) };
          return this.functionPrototype(this.node(m, "functionPrototype")!);
        }),
        pos: this.posOf(n),
      };
    }
    return { d: "extern_function", proto: this.functionPrototype(protos[0]!), pos: this.posOf(n) };
  }

  functionPrototype(n: CstNode): Prototype {
    return { returnType: this.typeRef(this.node(n, "returnType")!), name: this.name(this.node(n, "name")!), typeParams: this.typeParameters(this.node(n, "typeParameters")), params: this.parameterList(this.node(n, "parameterList")!), pos: this.posOf(this.node(n, "name")!) };
  }

  typeParameters(n: CstNode | undefined): string[] {
    return n ? this.nodes(n, "name").map((x) => this.name(x)) : [];
  }

  parameterList(n: CstNode): Param[] {
    return this.nodes(n, "parameter").map((p) => ({
      direction: this.tok(p, "direction")?.image as Param["direction"],
      type: this.typeRef(this.node(p, "typeRef")!),
      name: this.name(this.node(p, "name")!),
      pos: this.posOf(this.node(p, "name")!),
    }));
  }

  actionDeclaration(n: CstNode): LocalDecl & Decl & { d: "action" } {
    return { d: "action", name: this.name(this.node(n, "name")!), params: this.parameterList(this.node(n, "parameterList")!), body: this.blockStatement(this.node(n, "blockStatement")!), pos: this.posOf(this.node(n, "name")!) };
  }

  parserDeclaration(n: CstNode): Decl {
    return {
      d: "parser",
      name: this.name(this.node(n, "name")!),
      typeParams: this.typeParameters(this.node(n, "typeParameters")),
      params: this.parameterList(this.node(n, "parameterList")!),
      prototype: !!this.tok(n, "prototype"),
      locals: this.nodes(n, "parserLocalElement").map((e) => this.localElement(e)),
      states: this.nodes(n, "parserState").map((s) => this.parserState(s)),
      pos: this.posOf(this.node(n, "name")!),
    };
  }

  private localElement(n: CstNode): LocalDecl {
    const c = this.ch(n);
    if (c["constantDeclaration"]) return this.constantDeclaration(c["constantDeclaration"][0] as CstNode);
    if (c["actionDeclaration"]) return this.actionDeclaration(c["actionDeclaration"][0] as CstNode);
    if (c["tableDeclaration"]) return this.tableDeclaration(c["tableDeclaration"][0] as CstNode);
    if (c["instantiation"]) return this.instantiation(c["instantiation"][0] as CstNode);
    const v = c["variableDeclaration"]![0] as CstNode;
    const s = this.variableDeclaration(v);
    return { d: "var", type: s.type, name: s.name, init: s.init, pos: s.pos };
  }

  parserState(n: CstNode): ParserState {
    const t = this.node(n, "transitionStatement")!;
    const sel = this.node(t, "selectExpression");
    const transition: ParserState["transition"] = sel
      ? {
          select: this.expressionList(this.node(sel, "expressionList")!),
          cases: this.nodes(sel, "selectCase").map((c) => ({ keys: this.keysetExpression(this.node(c, "keysetExpression")!), next: this.name(this.node(c, "next")!), pos: this.posOf(c) })),
          pos: this.posOf(sel),
        }
      : { next: this.name(this.node(t, "next")!), pos: this.posOf(this.node(t, "next")!) };
    return { name: this.name(this.node(n, "name")!), body: this.nodes(n, "statement").map((s) => this.statement(s)), transition, pos: this.posOf(this.node(n, "name")!) };
  }

  keysetExpression(n: CstNode): Keyset[] {
    return this.nodes(n, "element").map((e) => this.simpleKeysetExpression(e));
  }

  simpleKeysetExpression(n: CstNode): Keyset {
    const p = this.posOf(n);
    if (this.tok(n, "default") || this.tok(n, "dontCare")) return { k: "default", pos: p };
    const mask = this.node(n, "mask");
    const high = this.node(n, "high");
    return { k: "value", value: this.expression(this.node(n, "value")!), mask: mask && this.expression(mask), high: high && this.expression(high), pos: p };
  }

  controlDeclaration(n: CstNode): Decl {
    const body = this.node(n, "body");
    return {
      d: "control",
      name: this.name(this.node(n, "name")!),
      typeParams: this.typeParameters(this.node(n, "typeParameters")),
      params: this.parameterList(this.node(n, "parameterList")!),
      prototype: !!this.tok(n, "prototype"),
      locals: this.nodes(n, "controlLocalDeclaration").map((e) => this.localElement(e)),
      body: body && this.blockStatement(body),
      pos: this.posOf(this.node(n, "name")!),
    };
  }

  tableDeclaration(n: CstNode): TableDecl {
    let keys: TableDecl["keys"] = [];
    let actions: ActionRef[] = [];
    let defaultAction: ActionRef | undefined;
    let constDefault = false;
    let entries: TableDecl["entries"];
    let constEntries = false;
    let size: Expr | undefined;
    const properties: TableDecl["properties"][number][] = [];
    for (const p of this.nodes(n, "tableProperty")) {
      const c = this.ch(p);
      if (c["Kw_key"]) keys = this.nodes(p, "keyElement").map((k) => ({ expr: this.expression(this.node(k, "expression")!), matchKind: this.name(this.node(k, "matchKind")!), pos: this.posOf(k) }));
      else if (c["actions"]) actions = this.nodes(p, "actionRef").map((a) => this.actionRef(a));
      else if (c["Kw_entries"]) {
        constEntries = !!c["constEntries"];
        entries = this.nodes(p, "entry").map((e) => ({ keys: this.keysetExpression(this.node(e, "keysetExpression")!), action: this.actionRef(this.node(e, "actionRef")!), pos: this.posOf(e) }));
      } else {
        const name = this.tok(p, "property")!.image;
        const value = this.expression(this.node(p, "value")!);
        if (name === "default_action") {
          defaultAction = this.exprToActionRef(value);
          constDefault = !!c["const"];
        }
        else if (name === "size") size = value;
        properties.push({ name, value, pos: this.pos(this.tok(p, "property")!) });
      }
    }
    return { d: "table", name: this.name(this.node(n, "name")!), keys, actions, defaultAction, constDefault, entries, constEntries, size, properties, pos: this.posOf(this.node(n, "name")!) };
  }

  private exprToActionRef(e: Expr): ActionRef {
    if (e.k === "call" && e.callee.k === "name") return { name: e.callee.name, args: e.args, pos: e.pos };
    if (e.k === "name") return { name: e.name, args: [], pos: e.pos };
    return { name: "", args: [], pos: e.pos };
  }

  actionRef(n: CstNode): ActionRef {
    const args = this.node(n, "argumentList");
    return { name: this.name(this.node(n, "name")!), args: args ? this.argumentList(args) : [], pos: this.posOf(this.node(n, "name")!) };
  }

  instantiation(n: CstNode): InstanceLike {
    const args = this.node(n, "argumentList");
    return { d: "instance", type: this.typeRef(this.node(n, "typeRef")!), args: args ? this.argumentList(args) : [], name: this.name(this.node(n, "name")!), pos: this.posOf(this.node(n, "name")!) };
  }

  typeRef(n: CstNode): TypeRef {
    const p = this.posOf(n);
    let t: TypeRef;
    const base = this.node(n, "baseType");
    if (base) t = this.baseType(base);
    else if (this.tok(n, "Kw_tuple")) t = { kind: "tuple", elems: this.typeArgumentList(this.node(n, "tupleArgs")!), pos: p };
    else {
      const args = this.node(n, "typeArgumentList");
      t = { kind: "name", name: this.tok(n, "typeName")!.image, args: args ? this.typeArgumentList(args) : [], pos: p };
    }
    const size = this.node(n, "stackSize");
    return size ? { kind: "stack", elem: t, size: this.expression(size), pos: p } : t;
  }

  baseType(n: CstNode): TypeRef {
    const k = this.tok(n, "kind")!;
    const p = this.pos(k);
    const kind = k.image as "bit" | "int" | "varbit" | "bool" | "error" | "string" | "void";
    if (kind === "bit" || kind === "int" || kind === "varbit") {
      const w = this.tok(n, "width");
      const we = this.node(n, "widthExpression");
      const width: Expr | undefined = w ? { k: "int", value: parseIntegerLiteral(w.image).value, pos: this.pos(w) } : we ? this.expression(we) : kind === "bit" ? { k: "int", value: 1n, pos: p } : undefined;
      return { kind, width, pos: p };
    }
    return { kind, pos: p };
  }

  typeArgumentList(n: CstNode): TypeRef[] {
    return this.nodes(n, "typeArgument").map((a) => (this.node(a, "typeRef") ? this.typeRef(this.node(a, "typeRef")!) : { kind: "dontcare", pos: this.posOf(a) }));
  }

  blockStatement(n: CstNode): Stmt {
    return { s: "block", body: this.nodes(n, "statement").map((s) => this.statement(s)), pos: this.posOf(n) };
  }

  variableDeclaration(n: CstNode): Stmt & { s: "var" } {
    const init = this.node(n, "init");
    return { s: "var", type: this.typeRef(this.node(n, "typeRef")!), name: this.name(this.node(n, "name")!), init: init && this.expression(init), isConst: false, pos: this.posOf(this.node(n, "name")!) };
  }

  statement(n: CstNode): Stmt {
    const c = this.ch(n);
    const p = this.posOf(n);
    if (c["empty"]) return { s: "empty", pos: p };
    if (c["blockStatement"]) return this.blockStatement(c["blockStatement"][0] as CstNode);
    if (c["conditionalStatement"]) {
      const s = c["conditionalStatement"][0] as CstNode;
      const e = this.node(s, "else");
      return { s: "if", cond: this.expression(this.node(s, "condition")!), then: this.statement(this.node(s, "then")!), else: e && this.statement(e), pos: p };
    }
    if (c["exitStatement"]) return { s: "exit", pos: p };
    if (c["returnStatement"]) {
      const e = this.node(c["returnStatement"][0] as CstNode, "expression");
      return { s: "return", value: e && this.expression(e), pos: p };
    }
    if (c["switchStatement"]) {
      const s = c["switchStatement"][0] as CstNode;
      const cases: SwitchCase[] = this.nodes(s, "switchCase").map((sc) => {
        const label = this.node(sc, "label");
        const body = this.node(sc, "blockStatement");
        return { label: label && this.expression(label), body: body && this.blockStatement(body), pos: this.posOf(sc) };
      });
      return { s: "switch", value: this.expression(this.node(s, "expression")!), cases, pos: p };
    }
    if (c["constantDeclaration"]) {
      const d = this.constantDeclaration(c["constantDeclaration"][0] as CstNode);
      return { s: "var", type: d.type, name: d.name, init: d.value, isConst: true, pos: d.pos };
    }
    if (c["variableDeclaration"]) return this.variableDeclaration(c["variableDeclaration"][0] as CstNode);
    const a = c["assignmentOrMethodCallStatement"]![0] as CstNode;
    const target = this.postfixExpression(this.node(a, "target")!);
    const value = this.node(a, "value");
    if (value) return { s: "assign", target, value: this.expression(value), pos: this.posOf(a) };
    return { s: "call", call: target, pos: this.posOf(a) };
  }

  expressionList(n: CstNode): Expr[] {
    return this.nodes(n, "expression").map((e) => this.expression(e));
  }

  argumentList(n: CstNode): Expr[] {
    return this.nodes(n, "argument").map((a) => (this.node(a, "expression") ? this.expression(this.node(a, "expression")!) : { k: "dontcare", pos: this.posOf(a) }));
  }

  expression(n: CstNode): Expr {
    const cond = this.binaryChain(this.node(n, "condition")!);
    const then = this.node(n, "then");
    if (!then) return cond;
    return { k: "cond", cond, then: this.expression(then), else: this.expression(this.node(n, "else")!), pos: cond.pos };
  }

  /** Every binary precedence level: operands and operators in order, left-associative. */
  private binaryChain(n: CstNode): Expr {
    if (n.name === "unaryExpression") return this.unaryExpression(n);
    const operands = this.nodes(n, "operand");
    const operators = (this.ch(n)["operator"] ?? []) as IToken[];
    let e = this.binaryChain(operands[0]!);
    operators.forEach((op, i) => {
      const right = this.binaryChain(operands[i + 1]!);
      const image = n.name === "shiftExpression" && op.image === ">" ? ">>" : op.image;
      e = { k: "binary", op: image, left: e, right, pos: this.pos(op) };
    });
    return e;
  }

  unaryExpression(n: CstNode): Expr {
    const op = this.tok(n, "operator");
    const operand = this.node(n, "operand");
    if (op) return { k: "unary", op: op.image, operand: this.unaryExpression(operand!), pos: this.pos(op) };
    const cast = this.node(n, "castType");
    if (cast) return { k: "cast", type: this.typeRef(cast), operand: this.unaryExpression(operand!), pos: this.posOf(n) };
    return this.postfixExpression(this.node(n, "postfixExpression")!);
  }

  postfixExpression(n: CstNode): Expr {
    let e = this.primaryExpression(this.node(n, "primaryExpression")!);
    for (const op of this.nodes(n, "postfixOperation")) {
      const member = this.node(op, "member");
      if (member) {
        // A member expression is located at its start (hd.h.a), like every other expression.
        e = { k: "member", base: e, member: this.name(member), pos: { file: e.pos.file, line: e.pos.line, col: e.pos.col } };
        continue;
      }
      const index = this.node(op, "index");
      if (index) {
        const low = this.node(op, "low");
        e = low ? { k: "slice", base: e, hi: this.expression(index), lo: this.expression(low), pos: e.pos } : { k: "index", base: e, index: this.expression(index), pos: e.pos };
        continue;
      }
      const targs = this.node(op, "typeArgumentList");
      const args = this.node(op, "argumentList");
      e = { k: "call", callee: e, typeArgs: targs ? this.typeArgumentList(targs) : [], args: args ? this.argumentList(args) : [], pos: e.pos };
    }
    return e;
  }

  primaryExpression(n: CstNode): Expr {
    const c = this.ch(n);
    const p = this.posOf(n);
    if (c["integer"]) {
      const t = c["integer"][0] as IToken;
      return { k: "int", ...parseIntegerLiteral(t.image), pos: this.pos(t) };
    }
    if (c["boolean"]) return { k: "bool", value: (c["boolean"][0] as IToken).image === "true", pos: p };
    if (c["string"]) return { k: "string", value: JSON.parse((c["string"][0] as IToken).image) as string, pos: p };
    if (c["errorKw"]) return { k: "name", name: "error", pos: p };
    if (c["identifier"]) {
      const nm = c["identifier"][0] as CstNode;
      return { k: "name", name: this.name(nm), pos: { ...this.posOf(nm), length: this.name(nm).length } };
    }
    if (c["parenthesized"]) return this.expression(c["parenthesized"][0] as CstNode);
    const list = this.node(n, "list");
    return { k: "list", elems: list ? this.expressionList(list) : [], pos: p };
  }
}

type InstanceLike = LocalDecl & Decl & { d: "instance" };

// The typed AST of a C translation unit, and the CST visitor that builds it (STYLE.md
// §10: the grammar makes a CST only; this visitor is the one place that reads it).
// "Typed" in the sense that every node kind has its own shape; C types themselves are
// resolved by the lowering, which knows the scopes.
import type { CstNode, CstElement, IToken } from "chevrotain";
import type { Location } from "../../ir/diag/diag.js";
import { CParser } from "./parser.js";
import type { LineMap } from "./parse.js";

export interface Attribute {
  readonly name: string;
  readonly args: readonly Expr[];
  readonly loc: Location;
}

/** Declaration specifiers, as written. */
export interface DeclSpec {
  readonly storage: readonly string[];
  /** Type keywords (`unsigned`, `long`, ...). */
  readonly words: readonly string[];
  readonly typedefName?: string;
  readonly record?: RecordSpec;
  readonly enumSpec?: EnumSpec;
  readonly typeofSpec?: { readonly type?: TypeName; readonly expr?: Expr };
  readonly inline: boolean;
  /** A `const` qualifier among the specifiers (globals: .rodata). */
  readonly isConst?: boolean;
  readonly attributes: readonly Attribute[];
  readonly loc: Location;
}

export interface RecordSpec {
  readonly union: boolean;
  readonly tag?: string;
  readonly members?: readonly MemberDeclaration[];
  readonly attributes: readonly Attribute[];
  readonly loc: Location;
}

export interface MemberDeclaration {
  readonly spec: DeclSpec;
  readonly declarators: readonly { readonly declarator?: Declarator; readonly width?: Expr; readonly attributes: readonly Attribute[] }[];
}

export interface EnumSpec {
  readonly tag?: string;
  readonly enumerators?: readonly { readonly name: string; readonly value?: Expr; readonly loc: Location }[];
  readonly loc: Location;
}

/** How a declarator derives its type from the specifiers' type, innermost first. */
export type Derivation =
  | { readonly k: "ptr" }
  | { readonly k: "array"; readonly size?: Expr }
  | { readonly k: "func"; readonly params: readonly ParamDecl[]; readonly variadic: boolean; readonly prototyped: boolean };

export interface Declarator {
  readonly name?: string;
  readonly derivations: readonly Derivation[];
  readonly attributes: readonly Attribute[];
  readonly loc: Location;
}

export interface ParamDecl {
  readonly spec: DeclSpec;
  readonly declarator: Declarator;
}

export interface TypeName {
  readonly spec: DeclSpec;
  readonly declarator: Declarator;
}

export type Initializer = { readonly k: "expr"; readonly expr: Expr } | { readonly k: "list"; readonly items: readonly InitItem[]; readonly loc: Location };
export type Designator = { readonly k: "field"; readonly name: string; readonly loc: Location } | { readonly k: "index"; readonly index: Expr };
export interface InitItem {
  readonly designators: readonly Designator[];
  readonly init: Initializer;
}

export interface InitDeclarator {
  readonly declarator: Declarator;
  readonly init?: Initializer;
  readonly attributes: readonly Attribute[];
}

export interface Declaration {
  readonly k: "decl";
  readonly spec: DeclSpec;
  readonly declarators: readonly InitDeclarator[];
  readonly loc: Location;
}

export interface FunctionDef {
  readonly k: "func";
  readonly spec: DeclSpec;
  readonly declarator: Declarator;
  readonly body: Stmt;
  readonly loc: Location;
}

export type External = Declaration | FunctionDef;

export type Stmt =
  | { readonly k: "compound"; readonly items: readonly (Stmt | Declaration)[]; readonly loc: Location }
  | { readonly k: "expr"; readonly expr?: Expr; readonly loc: Location }
  | { readonly k: "if"; readonly cond: Expr; readonly then: Stmt; readonly else?: Stmt; readonly loc: Location }
  | { readonly k: "switch"; readonly cond: Expr; readonly body: Stmt; readonly loc: Location }
  | { readonly k: "while"; readonly cond: Expr; readonly body: Stmt; readonly loc: Location; readonly pragma?: string }
  | { readonly k: "do"; readonly cond: Expr; readonly body: Stmt; readonly loc: Location; readonly pragma?: string }
  | { readonly k: "for"; readonly init?: Declaration | Expr; readonly cond?: Expr; readonly step?: Expr; readonly body: Stmt; readonly loc: Location; readonly pragma?: string }
  | { readonly k: "label"; readonly label: string; readonly body: Stmt; readonly loc: Location }
  | { readonly k: "case"; readonly value: Expr; readonly last?: Expr; readonly body: Stmt; readonly loc: Location }
  | { readonly k: "default"; readonly body: Stmt; readonly loc: Location }
  | { readonly k: "goto"; readonly label: string; readonly loc: Location }
  | { readonly k: "break" | "continue"; readonly loc: Location }
  | { readonly k: "return"; readonly expr?: Expr; readonly loc: Location }
  | { readonly k: "asm"; readonly loc: Location };

export type Expr =
  | { readonly k: "int"; readonly text: string; readonly loc: Location }
  | { readonly k: "float"; readonly text: string; readonly loc: Location }
  | { readonly k: "char"; readonly text: string; readonly loc: Location }
  | { readonly k: "string"; readonly bytes: Uint8Array; readonly loc: Location }
  | { readonly k: "ident"; readonly name: string; readonly loc: Location }
  | { readonly k: "unary"; readonly op: string; readonly operand: Expr; readonly loc: Location }
  | { readonly k: "postfix"; readonly op: "++" | "--"; readonly operand: Expr; readonly loc: Location }
  | { readonly k: "binary"; readonly op: string; readonly left: Expr; readonly right: Expr; readonly loc: Location }
  | { readonly k: "assign"; readonly op: string; readonly left: Expr; readonly right: Expr; readonly loc: Location }
  | { readonly k: "cond"; readonly cond: Expr; readonly then?: Expr; readonly else: Expr; readonly loc: Location }
  | { readonly k: "cast"; readonly type: TypeName; readonly operand: Expr; readonly loc: Location }
  | { readonly k: "sizeof" | "alignof"; readonly type?: TypeName; readonly operand?: Expr; readonly loc: Location }
  | { readonly k: "call"; readonly callee: Expr; readonly args: readonly Expr[]; readonly loc: Location }
  | { readonly k: "index"; readonly base: Expr; readonly index: Expr; readonly loc: Location }
  | { readonly k: "member"; readonly base: Expr; readonly name: string; readonly arrow: boolean; readonly loc: Location }
  | { readonly k: "comma"; readonly left: Expr; readonly right: Expr; readonly loc: Location }
  | { readonly k: "compound"; readonly type: TypeName; readonly init: Initializer; readonly loc: Location }
  | { readonly k: "stmtexpr"; readonly body: Stmt; readonly loc: Location }
  | { readonly k: "offsetof"; readonly type: TypeName; readonly path: readonly Designator[]; readonly loc: Location }
  | { readonly k: "typescompat"; readonly a: TypeName; readonly b: TypeName; readonly loc: Location }
  | { readonly k: "labeladdr"; readonly loc: Location };

export interface TranslationUnit {
  readonly file: string;
  readonly externals: readonly External[];
}

type Children = Record<string, CstElement[] | undefined>;
const nodes = (c: Children, key: string): CstNode[] => (c[key] ?? []) as CstNode[];
const node = (c: Children, key: string): CstNode | undefined => (c[key]?.[0] as CstNode | undefined);
const toks = (c: Children, key: string): IToken[] => (c[key] ?? []) as IToken[];
const tok = (c: Children, key: string): IToken | undefined => (c[key]?.[0] as IToken | undefined);

/** The first token under a CST node, for its location. */
function firstToken(n: CstNode): IToken | undefined {
  let best: IToken | undefined;
  for (const list of Object.values(n.children)) {
    for (const e of list ?? []) {
      const t = "image" in e ? e : firstToken(e);
      if (t && (!best || t.startOffset < best.startOffset)) best = t;
    }
  }
  return best;
}

/** C11 §6.4.4.4 / §6.4.5 escapes. */
export function unescape(body: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      for (const b of Buffer.from(c, "utf8")) out.push(b);
      continue;
    }
    const n = body[++i]!;
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, "0": 0, a: 7, b: 8, f: 12, v: 11, e: 27, "\\": 92, "'": 39, '"': 34, "?": 63 };
    if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else if (n === "x") {
      const m = /^[0-9a-fA-F]+/.exec(body.slice(i + 1))![0];
      out.push(parseInt(m, 16) & 0xff);
      i += m.length;
    } else out.push(simple[n] ?? n.charCodeAt(0));
  }
  return out;
}

const BaseVisitor = new CParser({ validate: false }).getBaseCstVisitorConstructor();

/** Builds the AST; `loc` maps tokens to original file:line:col. */
export class AstBuilder extends BaseVisitor {
  constructor(private readonly lines: LineMap) {
    super();
    this.validateVisitor();
  }

  private at(t: IToken | CstNode | undefined): Location {
    const first = t === undefined ? undefined : "image" in t ? t : firstToken(t);
    return first ? this.lines.token(first) : {};
  }

  translationUnit(c: Children, file: string): TranslationUnit {
    return { file, externals: nodes(c, "externalDeclaration").flatMap((n) => this.visit(n) as External[]) };
  }

  externalDeclaration(c: Children): External[] {
    const specNode = node(c, "declarationSpecifiers");
    if (!specNode) {
      const sa = node(c, "staticAssertDeclaration");
      return sa ? [this.staticAssert(sa)] : [];
    }
    const spec = this.visit(specNode) as DeclSpec;
    const body = node(c, "functionBody");
    const inits = nodes(c, "initDeclarator").map((n) => this.visit(n) as InitDeclarator);
    if (body) {
      // GNU attributes after the declarator (`int f(void) __attribute__((section("xdp"))) {`) belong to the function.
      const d = inits[0]!.declarator;
      return [{ k: "func", spec, declarator: { ...d, attributes: [...d.attributes, ...inits[0]!.attributes] }, body: this.visit(body) as Stmt, loc: d.loc }];
    }
    return [{ k: "decl", spec, declarators: inits, loc: spec.loc }];
  }

  private staticAssert(n: CstNode): Declaration {
    const message = toks(n.children, "StringLiteral").flatMap((s) => unescape(s.image.replace(/^(u8|[LuU])?"/, "").slice(0, -1)));
    const args: Expr[] = [this.visit(node(n.children, "conditionalExpression")!) as Expr];
    if (message.length) args.push({ k: "string", bytes: Uint8Array.from(message), loc: this.at(n) });
    const spec: DeclSpec = { storage: ["_Static_assert"], words: [], inline: false, attributes: [{ name: "static_assert", args, loc: this.at(n) }], loc: this.at(n) };
    return { k: "decl", spec, declarators: [], loc: this.at(n) };
  }

  declaration(c: Children): Declaration {
    const sa = node(c, "staticAssertDeclaration");
    if (sa) return this.staticAssert(sa);
    const spec = this.visit(node(c, "declarationSpecifiers")!) as DeclSpec;
    return { k: "decl", spec, declarators: nodes(c, "initDeclarator").map((n) => this.visit(n) as InitDeclarator), loc: spec.loc };
  }

  staticAssertDeclaration(): void {}

  declarationSpecifiers(c: Children): DeclSpec {
    return this.specs(nodes(c, "declarationSpecifier").map((n) => n.children), c);
  }

  specifierQualifierList(c: Children): DeclSpec {
    // Same children kinds as a declarationSpecifier, listed flat.
    return this.specs([c], c);
  }

  private specs(items: Children[], whole: Children): DeclSpec {
    const storage: string[] = [];
    const words: string[] = [];
    const attributes: Attribute[] = [];
    let typedefName: string | undefined;
    let record: RecordSpec | undefined;
    let enumSpec: EnumSpec | undefined;
    let typeofSpec: DeclSpec["typeofSpec"];
    let inline = false;
    let isConst = false;
    let first: IToken | undefined;
    const note = (t: IToken | undefined) => {
      if (t && (!first || t.startOffset < first.startOffset)) first = t;
    };
    for (const c of items) {
      for (const s of nodes(c, "storageClassSpecifier")) {
        const t = Object.values(s.children)[0]![0] as IToken;
        note(t);
        storage.push(t.image);
      }
      for (const s of nodes(c, "typeSpecifier")) {
        const sc = s.children;
        note(firstToken(s));
        const name = tok(sc, "typedefName");
        if (name) typedefName = name.image;
        else if (node(sc, "structOrUnionSpecifier")) record = this.visit(node(sc, "structOrUnionSpecifier")!) as RecordSpec;
        else if (node(sc, "enumSpecifier")) enumSpec = this.visit(node(sc, "enumSpecifier")!) as EnumSpec;
        else if (node(sc, "typeofSpecifier")) {
          const tc = node(sc, "typeofSpecifier")!.children;
          typeofSpec = node(tc, "typeName") ? { type: this.visit(node(tc, "typeName")!) as TypeName } : { expr: this.visit(node(tc, "expression")!) as Expr };
        } else {
          const t = Object.values(sc)[0]![0] as IToken;
          // Canonical spellings: the lexer folds __signed__ and friends into one token kind.
          words.push({ Signed: "signed", Int128: "__int128", Bool: "_Bool" }[t.tokenType.name] ?? t.image);
        }
      }
      for (const f of nodes(c, "functionSpecifier")) {
        note(firstToken(f));
        if (tok(f.children, "Inline")) inline = true;
      }
      for (const a of nodes(c, "attributeSpecifier")) attributes.push(...(this.visit(a) as Attribute[]));
      for (const a of nodes(c, "alignmentSpecifier")) {
        const ac = a.children;
        const arg = node(ac, "conditionalExpression");
        attributes.push({ name: "aligned", args: arg ? [this.visit(arg) as Expr] : [{ k: "alignof", type: this.visit(node(ac, "typeName")!) as TypeName, loc: this.at(a) }], loc: this.at(a) });
      }
      for (const t of nodes(c, "typeQualifier")) {
        note(firstToken(t));
        if (tok(t.children, "Const")) isConst = true;
      }
    }
    void whole;
    return { storage, words, typedefName, record, enumSpec, typeofSpec, inline, isConst, attributes, loc: first ? this.lines.token(first) : {} };
  }

  declarationSpecifier(): void {}
  storageClassSpecifier(): void {}
  typeSpecifier(): void {}
  typeofSpecifier(): void {}
  typeQualifier(): void {}
  functionSpecifier(): void {}
  alignmentSpecifier(): void {}
  typeQualifierList(): void {}

  attributeSpecifier(c: Children): Attribute[] {
    return nodes(c, "attribute").map((a) => {
      const ac = a.children;
      const name = tok(ac, "name")!;
      return { name: name.image.replace(/^__(.*)__$/, "$1"), args: nodes(ac, "arg").map((x) => this.visit(x) as Expr), loc: this.at(name) };
    });
  }

  attribute(): void {}
  asmLabel(): void {}

  structOrUnionSpecifier(c: Children): RecordSpec {
    const list = node(c, "structDeclarationList");
    const attributes = nodes(c, "attributeSpecifier").flatMap((a) => this.visit(a) as Attribute[]);
    return {
      union: tok(c, "Union") !== undefined,
      tag: tok(c, "tag")?.image,
      members: list ? nodes(list.children, "structDeclaration").flatMap((d) => this.visit(d) as MemberDeclaration[]) : undefined,
      attributes,
      loc: this.at(tok(c, "tag") ?? tok(c, "Struct") ?? tok(c, "Union")),
    };
  }

  structDeclarationList(): void {}

  structDeclaration(c: Children): MemberDeclaration[] {
    const sq = node(c, "specifierQualifierList");
    if (!sq) return [];
    const spec = this.visit(sq) as DeclSpec;
    const declarators = nodes(c, "structDeclarator").map((d) => {
      const dc = d.children;
      const decl = node(dc, "declarator");
      const width = node(dc, "width");
      return {
        declarator: decl ? (this.visit(decl) as Declarator) : undefined,
        width: width ? (this.visit(width) as Expr) : undefined,
        attributes: nodes(dc, "attributeSpecifier").flatMap((a) => this.visit(a) as Attribute[]),
      };
    });
    return [{ spec, declarators }];
  }

  structDeclarator(): void {}

  enumSpecifier(c: Children): EnumSpec {
    const list = node(c, "enumeratorList");
    return {
      tag: tok(c, "tag")?.image,
      enumerators: list
        ? nodes(list.children, "enumerator").map((e) => {
            const name = tok(e.children, "name")!;
            const v = node(e.children, "value");
            return { name: name.image, value: v ? (this.visit(v) as Expr) : undefined, loc: this.at(name) };
          })
        : undefined,
      loc: this.at(tok(c, "tag") ?? tok(c, "Enum")),
    };
  }

  enumeratorList(): void {}
  enumerator(): void {}

  initDeclarator(c: Children): InitDeclarator {
    const init = node(c, "initializer");
    return {
      declarator: this.visit(node(c, "declarator")!) as Declarator,
      init: init ? (this.visit(init) as Initializer) : undefined,
      attributes: nodes(c, "attributeSpecifier").flatMap((a) => this.visit(a) as Attribute[]),
    };
  }

  /** pointer? directDeclarator: pointers apply first, then suffixes (last first), then the nested declarator. */
  declarator(c: Children): Declarator {
    return this.derive(node(c, "pointer"), node(c, "directDeclarator")!);
  }

  private derive(pointer: CstNode | undefined, direct: CstNode | undefined): Declarator {
    const derivations: Derivation[] = [];
    const attributes: Attribute[] = [];
    if (pointer) {
      for (const _ of toks(pointer.children, "Star")) derivations.push({ k: "ptr" });
      for (const q of nodes(pointer.children, "qualifiers")) for (const a of nodes(q.children, "attributeSpecifier")) attributes.push(...(this.visit(a) as Attribute[]));
    }
    if (!direct) return { derivations, attributes, loc: this.at(pointer) };
    const dc = direct.children;
    const suffixes = [...nodes(dc, "firstSuffix"), ...nodes(dc, "declaratorSuffix")];
    for (const s of suffixes.reverse()) derivations.push(this.suffix(s));
    for (const a of nodes(dc, "attributeSpecifier")) attributes.push(...(this.visit(a) as Attribute[]));
    const nestedNode = node(dc, "declarator") ?? node(dc, "parameterDeclarator") ?? node(dc, "abstractDeclarator");
    const nameTok = tok(dc, "name");
    if (nestedNode) {
      const nested = this.visit(nestedNode) as Declarator;
      return { name: nested.name, derivations: [...derivations, ...nested.derivations], attributes: [...attributes, ...nested.attributes], loc: nested.loc };
    }
    return { name: nameTok?.image, derivations, attributes, loc: this.at(nameTok ?? direct) };
  }

  private suffix(s: CstNode): Derivation {
    const sc = s.children;
    if (tok(sc, "LBracket")) {
      const size = node(sc, "size");
      return { k: "array", size: size ? (this.visit(size) as Expr) : undefined };
    }
    const list = node(sc, "parameterTypeList");
    if (!list) return { k: "func", params: [], variadic: false, prototyped: false };
    const params = nodes(list.children, "parameterDeclaration").map((p) => this.visit(p) as ParamDecl);
    // `(void)`: no parameters.
    const isVoid = params.length === 1 && params[0]!.spec.words.join() === "void" && !params[0]!.declarator.derivations.length && !params[0]!.declarator.name;
    return { k: "func", params: isVoid ? [] : params, variadic: toks(list.children, "Ellipsis").length > 0, prototyped: true };
  }

  pointer(): void {}
  directDeclarator(): void {}
  declaratorSuffix(): void {}
  parameterTypeList(): void {}

  parameterDeclaration(c: Children): ParamDecl {
    const spec = this.visit(node(c, "declarationSpecifiers")!) as DeclSpec;
    const d = node(c, "parameterDeclarator");
    return { spec, declarator: d ? (this.visit(d) as Declarator) : { derivations: [], attributes: [], loc: spec.loc } };
  }

  parameterDeclarator(c: Children): Declarator {
    return this.derive(node(c, "pointer"), node(c, "parameterDirectDeclarator"));
  }

  parameterDirectDeclarator(): void {}

  abstractDeclarator(c: Children): Declarator {
    return this.derive(node(c, "pointer"), node(c, "directAbstractDeclarator"));
  }

  directAbstractDeclarator(): void {}

  typeName(c: Children): TypeName {
    const spec = this.visit(node(c, "specifierQualifierList")!) as DeclSpec;
    const d = node(c, "abstractDeclarator");
    return { spec, declarator: d ? (this.visit(d) as Declarator) : { derivations: [], attributes: [], loc: spec.loc } };
  }

  initializer(c: Children): Initializer {
    const braced = node(c, "bracedInitializer");
    if (braced) return this.visit(braced) as Initializer;
    return { k: "expr", expr: this.visit(node(c, "assignmentExpression")!) as Expr };
  }

  bracedInitializer(c: Children): Initializer {
    const list = node(c, "initializerList");
    const items = list
      ? nodes(list.children, "initializerListItem").map((it) => {
          const ic = it.children;
          const d = node(ic, "designation");
          const designators: Designator[] = d
            ? nodes(d.children, "designator").map((x) => {
                const m = tok(x.children, "member");
                return m ? { k: "field", name: m.image, loc: this.at(m) } : { k: "index", index: this.visit(node(x.children, "index")!) as Expr };
              })
            : [];
          return { designators, init: this.visit(node(ic, "initializer")!) as Initializer };
        })
      : [];
    return { k: "list", items, loc: this.at(tok(c, "LBrace")) };
  }

  initializerList(): void {}
  initializerListItem(): void {}
  designation(): void {}
  designator(): void {}

  // ---- Statements ----

  statement(c: Children): Stmt {
    const inner = Object.values(c)[0]![0] as CstNode;
    return this.visit(inner) as Stmt;
  }

  pragmaStatement(c: Children): Stmt {
    const s = this.visit(node(c, "statement")!) as Stmt;
    const pragma = tok(c, "Pragma")!.image.replace(/^#\s*pragma\s+/, "").trim();
    return s.k === "for" || s.k === "while" || s.k === "do" ? { ...s, pragma } : s;
  }

  labeledStatement(c: Children): Stmt {
    const body = this.visit(node(c, "statement")!) as Stmt;
    const label = tok(c, "label");
    if (label) return { k: "label", label: label.image, body, loc: this.at(label) };
    const v = node(c, "value");
    if (v) {
      const last = node(c, "last");
      return { k: "case", value: this.visit(v) as Expr, last: last ? (this.visit(last) as Expr) : undefined, body, loc: this.at(tok(c, "Case")) };
    }
    return { k: "default", body, loc: this.at(tok(c, "Default")) };
  }

  compoundStatement(c: Children): Stmt {
    return { k: "compound", items: nodes(c, "blockItem").map((b) => this.visit(b) as Stmt | Declaration), loc: this.at(tok(c, "LBrace")) };
  }

  blockItem(c: Children): Stmt | Declaration {
    return this.visit((node(c, "declaration") ?? node(c, "statement"))!) as Stmt | Declaration;
  }

  expressionStatement(c: Children): Stmt {
    const e = node(c, "expression");
    return { k: "expr", expr: e ? (this.visit(e) as Expr) : undefined, loc: this.at(e ?? tok(c, "Semicolon")) };
  }

  selectionStatement(c: Children): Stmt {
    const cond = this.visit(node(c, "condition")!) as Expr;
    if (tok(c, "Switch")) return { k: "switch", cond, body: this.visit(node(c, "body")!) as Stmt, loc: this.at(tok(c, "Switch")) };
    const e = node(c, "else");
    return { k: "if", cond, then: this.visit(node(c, "then")!) as Stmt, else: e ? (this.visit(e) as Stmt) : undefined, loc: this.at(tok(c, "If")) };
  }

  iterationStatement(c: Children): Stmt {
    const body = this.visit(node(c, "body")!) as Stmt;
    const condNode = node(c, "condition");
    const cond = condNode ? (this.visit(condNode) as Expr) : undefined;
    if (tok(c, "While") && !tok(c, "Do")) return { k: "while", cond: cond!, body, loc: this.at(tok(c, "While")) };
    if (tok(c, "Do")) return { k: "do", cond: cond!, body, loc: this.at(tok(c, "Do")) };
    const init = node(c, "init") ? (this.visit(node(c, "init")!) as Declaration) : node(c, "initExpression") ? (this.visit(node(c, "initExpression")!) as Expr) : undefined;
    const step = node(c, "step");
    return { k: "for", init, cond, step: step ? (this.visit(step) as Expr) : undefined, body, loc: this.at(tok(c, "For")) };
  }

  jumpStatement(c: Children): Stmt {
    if (tok(c, "Goto")) return { k: "goto", label: tok(c, "label")!.image, loc: this.at(tok(c, "Goto")) };
    if (tok(c, "Continue")) return { k: "continue", loc: this.at(tok(c, "Continue")) };
    if (tok(c, "Break")) return { k: "break", loc: this.at(tok(c, "Break")) };
    const e = node(c, "expression");
    return { k: "return", expr: e ? (this.visit(e) as Expr) : undefined, loc: this.at(tok(c, "Return")) };
  }

  asmStatement(c: Children): Stmt {
    return { k: "asm", loc: this.at(tok(c, "Asm")) };
  }

  asmOperand(): void {}

  // ---- Expressions ----

  expression(c: Children): Expr {
    const parts = nodes(c, "assignmentExpression").map((n) => this.visit(n) as Expr);
    return parts.slice(1).reduce((l, r) => ({ k: "comma", left: l, right: r, loc: l.loc }), parts[0]!);
  }

  assignmentExpression(c: Children): Expr {
    const left = this.visit(node(c, "conditionalExpression")!) as Expr;
    const op = tok(c, "AssignmentOperator");
    if (!op) return left;
    return { k: "assign", op: op.image, left, right: this.visit(node(c, "assignmentExpression")!) as Expr, loc: this.at(op) };
  }

  conditionalExpression(c: Children): Expr {
    const cond = this.visit(node(c, "logicalOrExpression")!) as Expr;
    const q = tok(c, "Question");
    if (!q) return cond;
    const t = node(c, "then");
    return { k: "cond", cond, then: t ? (this.visit(t) as Expr) : undefined, else: this.visit(node(c, "else")!) as Expr, loc: this.at(q) };
  }

  private binary(c: Children, operand: string): Expr {
    const operands = nodes(c, operand).map((n) => this.visit(n) as Expr);
    const ops = toks(c, "operator").sort((a, b) => a.startOffset - b.startOffset);
    return ops.reduce((l, op, k) => ({ k: "binary", op: op.image, left: l, right: operands[k + 1]!, loc: this.at(op) }), operands[0]!);
  }

  logicalOrExpression(c: Children): Expr { return this.binary(c, "logicalAndExpression"); }
  logicalAndExpression(c: Children): Expr { return this.binary(c, "inclusiveOrExpression"); }
  inclusiveOrExpression(c: Children): Expr { return this.binary(c, "exclusiveOrExpression"); }
  exclusiveOrExpression(c: Children): Expr { return this.binary(c, "andExpression"); }
  andExpression(c: Children): Expr { return this.binary(c, "equalityExpression"); }
  equalityExpression(c: Children): Expr { return this.binary(c, "relationalExpression"); }
  relationalExpression(c: Children): Expr { return this.binary(c, "shiftExpression"); }
  shiftExpression(c: Children): Expr { return this.binary(c, "additiveExpression"); }
  additiveExpression(c: Children): Expr { return this.binary(c, "multiplicativeExpression"); }
  multiplicativeExpression(c: Children): Expr { return this.binary(c, "castExpression"); }

  castExpression(c: Children): Expr {
    const un = node(c, "unaryExpression");
    if (un) return this.visit(un) as Expr;
    const type = this.visit(node(c, "typeName")!) as TypeName;
    const lit = node(c, "compoundLiteralTail");
    const loc = this.at(tok(c, "LParen"));
    if (lit) {
      const lc = lit.children;
      const base: Expr = { k: "compound", type, init: this.visit(node(lc, "bracedInitializer")!) as Initializer, loc };
      return nodes(lc, "postfixSuffix").reduce<Expr>((e, s) => this.postfix(e, s), base);
    }
    return { k: "cast", type, operand: this.visit(node(c, "castExpression")!) as Expr, loc };
  }

  compoundLiteralTail(): void {}

  unaryExpression(c: Children): Expr {
    const post = node(c, "postfixExpression");
    if (post) return this.visit(post) as Expr;
    const op = tok(c, "operator")!;
    const loc = this.at(op);
    const name = op.tokenType.name;
    if (name === "Sizeof" || name === "Alignof") {
      const k = name === "Sizeof" ? "sizeof" : "alignof";
      const tn = node(c, "typeName");
      if (tn) return { k, type: this.visit(tn) as TypeName, loc };
      return { k, operand: this.visit(node(c, "unaryExpression")!) as Expr, loc };
    }
    if (name === "AndAnd") return { k: "labeladdr", loc };
    if (name === "Extension") return this.visit(node(c, "castExpression")!) as Expr;
    const operand = this.visit((node(c, "unaryExpression") ?? node(c, "castExpression"))!) as Expr;
    return { k: "unary", op: op.image === "++" || op.image === "--" ? `${op.image}pre` : op.image, operand, loc };
  }

  postfixExpression(c: Children): Expr {
    const base = this.visit(node(c, "primaryExpression")!) as Expr;
    return nodes(c, "postfixSuffix").reduce((e, s) => this.postfix(e, s), base);
  }

  private postfix(e: Expr, s: CstNode): Expr {
    const sc = s.children;
    const idx = node(sc, "index");
    if (idx) return { k: "index", base: e, index: this.visit(idx) as Expr, loc: this.at(tok(sc, "LBracket")) };
    if (tok(sc, "LParen")) {
      const list = node(sc, "argumentExpressionList");
      return { k: "call", callee: e, args: list ? nodes(list.children, "assignmentExpression").map((a) => this.visit(a) as Expr) : [], loc: e.loc };
    }
    const access = tok(sc, "access");
    if (access) return { k: "member", base: e, name: tok(sc, "member")!.image, arrow: access.image === "->", loc: this.at(tok(sc, "member")) };
    const op = tok(sc, "operator")!;
    return { k: "postfix", op: op.image as "++" | "--", operand: e, loc: this.at(op) };
  }

  postfixSuffix(): void {}
  argumentExpressionList(): void {}

  primaryExpression(c: Children): Expr {
    const id = tok(c, "Identifier");
    if (id) return { k: "ident", name: id.image, loc: this.at(id) };
    const i = tok(c, "IntegerConstant");
    if (i) return { k: "int", text: i.image, loc: this.at(i) };
    const f = tok(c, "FloatingConstant");
    if (f) return { k: "float", text: f.image, loc: this.at(f) };
    const ch = tok(c, "CharacterConstant");
    if (ch) return { k: "char", text: ch.image, loc: this.at(ch) };
    const strs = toks(c, "StringLiteral");
    if (strs.length) {
      const bytes = strs.flatMap((s) => unescape(s.image.replace(/^(u8|[LuU])?"/, "").slice(0, -1)));
      return { k: "string", bytes: Uint8Array.from(bytes), loc: this.at(strs[0]) };
    }
    const cs = node(c, "compoundStatement");
    if (cs) return { k: "stmtexpr", body: this.visit(cs) as Stmt, loc: this.at(tok(c, "statementOpen")) };
    const e = node(c, "expression");
    if (e) return this.visit(e) as Expr;
    const off = node(c, "offsetofExpression");
    if (off) {
      const oc = off.children;
      const members = toks(oc, "member");
      const indices = nodes(oc, "index");
      // Members and indices in source order.
      const parts: (IToken | CstNode)[] = [...members, ...indices];
      const offset = (p: IToken | CstNode) => ("image" in p ? p.startOffset : firstToken(p)!.startOffset);
      parts.sort((a, b) => offset(a) - offset(b));
      const path: Designator[] = parts.map((p) => ("image" in p ? { k: "field", name: p.image, loc: this.at(p) } : { k: "index", index: this.visit(p) as Expr }));
      return { k: "offsetof", type: this.visit(node(oc, "typeName")!) as TypeName, path, loc: this.at(off) };
    }
    const tc = node(c, "typesCompatibleExpression")!;
    const [a, b] = nodes(tc.children, "typeName").map((n) => this.visit(n) as TypeName);
    return { k: "typescompat", a: a!, b: b!, loc: this.at(tc) };
  }

  offsetofExpression(): void {}
  typesCompatibleExpression(): void {}
}

export function buildAst(cst: CstNode, lines: LineMap, file: string): TranslationUnit {
  const b = new AstBuilder(lines);
  return b.translationUnit(cst.children, file);
}

// The typed AST of P4-16 that visitor.ts builds from the CST. Every node keeps its source
// position for file:line:col diagnostics. Types (TypeRef) are syntactic here; check.ts
// resolves names to P4 types (types.ts).

export interface Pos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly length?: number;
}

export type TypeRef =
  | { readonly kind: "bit" | "int" | "varbit"; readonly width: Expr | undefined; readonly pos: Pos }
  | { readonly kind: "bool" | "error" | "string" | "void" | "dontcare"; readonly pos: Pos }
  | { readonly kind: "name"; readonly name: string; readonly args: readonly TypeRef[]; readonly pos: Pos }
  | { readonly kind: "stack"; readonly elem: TypeRef; readonly size: Expr; readonly pos: Pos }
  | { readonly kind: "tuple"; readonly elems: readonly TypeRef[]; readonly pos: Pos };

export type Expr =
  | { readonly k: "int"; readonly value: bigint; readonly width?: number; readonly signed?: boolean; readonly pos: Pos }
  | { readonly k: "bool"; readonly value: boolean; readonly pos: Pos }
  | { readonly k: "string"; readonly value: string; readonly pos: Pos }
  | { readonly k: "name"; readonly name: string; readonly pos: Pos }
  | { readonly k: "member"; readonly base: Expr; readonly member: string; readonly pos: Pos }
  | { readonly k: "index"; readonly base: Expr; readonly index: Expr; readonly pos: Pos }
  | { readonly k: "slice"; readonly base: Expr; readonly hi: Expr; readonly lo: Expr; readonly pos: Pos }
  | { readonly k: "call"; readonly callee: Expr; readonly typeArgs: readonly TypeRef[]; readonly args: readonly Expr[]; readonly pos: Pos }
  | { readonly k: "unary"; readonly op: string; readonly operand: Expr; readonly pos: Pos }
  | { readonly k: "binary"; readonly op: string; readonly left: Expr; readonly right: Expr; readonly pos: Pos }
  | { readonly k: "cast"; readonly type: TypeRef; readonly operand: Expr; readonly pos: Pos }
  | { readonly k: "cond"; readonly cond: Expr; readonly then: Expr; readonly else: Expr; readonly pos: Pos }
  | { readonly k: "list"; readonly elems: readonly Expr[]; readonly pos: Pos }
  | { readonly k: "dontcare"; readonly pos: Pos };

/** One element of a keyset (§12.6.1 select cases, §14.2.1.4 entries). */
export type Keyset =
  | { readonly k: "default"; readonly pos: Pos }
  | { readonly k: "value"; readonly value: Expr; readonly mask?: Expr; readonly high?: Expr; readonly pos: Pos };

export type Stmt =
  | { readonly s: "block"; readonly body: readonly Stmt[]; readonly pos: Pos }
  | { readonly s: "if"; readonly cond: Expr; readonly then: Stmt; readonly else?: Stmt; readonly pos: Pos }
  | { readonly s: "exit"; readonly pos: Pos }
  | { readonly s: "return"; readonly value?: Expr; readonly pos: Pos }
  | { readonly s: "switch"; readonly value: Expr; readonly cases: readonly SwitchCase[]; readonly pos: Pos }
  | { readonly s: "var"; readonly type: TypeRef; readonly name: string; readonly init?: Expr; readonly isConst: boolean; readonly pos: Pos }
  | { readonly s: "assign"; readonly target: Expr; readonly value: Expr; readonly pos: Pos }
  | { readonly s: "call"; readonly call: Expr; readonly pos: Pos }
  | { readonly s: "empty"; readonly pos: Pos };

export interface SwitchCase {
  /** undefined for `default`; a name (action) or an expression label. */
  readonly label: Expr | undefined;
  /** undefined: falls through to the next case's body (§12.7). */
  readonly body: Stmt | undefined;
  readonly pos: Pos;
}

export interface Param {
  readonly direction: "in" | "out" | "inout" | undefined;
  readonly type: TypeRef;
  readonly name: string;
  readonly pos: Pos;
}

export interface Field {
  readonly type: TypeRef;
  readonly name: string;
  readonly pos: Pos;
}

export interface ActionRef {
  readonly name: string;
  readonly args: readonly Expr[];
  readonly pos: Pos;
}

export interface TableDecl {
  readonly d: "table";
  readonly name: string;
  readonly keys: readonly { readonly expr: Expr; readonly matchKind: string; readonly pos: Pos }[];
  readonly actions: readonly ActionRef[];
  readonly defaultAction?: ActionRef;
  /** `const default_action`: the control plane may not change it (§14.2.1.3). */
  readonly constDefault?: boolean;
  readonly entries?: readonly { readonly keys: readonly Keyset[]; readonly action: ActionRef; readonly pos: Pos }[];
  readonly constEntries: boolean;
  readonly size?: Expr;
  readonly properties: readonly { readonly name: string; readonly value: Expr; readonly pos: Pos }[];
  readonly pos: Pos;
}

export interface ParserState {
  readonly name: string;
  readonly body: readonly Stmt[];
  readonly transition: { readonly next: string; readonly pos: Pos } | { readonly select: readonly Expr[]; readonly cases: readonly { readonly keys: readonly Keyset[]; readonly next: string; readonly pos: Pos }[]; readonly pos: Pos };
  readonly pos: Pos;
}

export type LocalDecl = TableDecl | ActionDecl | ConstDecl | InstanceDecl | VarDecl;

export interface ActionDecl {
  readonly d: "action";
  readonly name: string;
  readonly params: readonly Param[];
  readonly body: Stmt;
  readonly pos: Pos;
}
export interface ConstDecl {
  readonly d: "const";
  readonly type: TypeRef;
  readonly name: string;
  readonly value: Expr;
  readonly pos: Pos;
}
export interface InstanceDecl {
  readonly d: "instance";
  readonly type: TypeRef;
  readonly args: readonly Expr[];
  readonly name: string;
  readonly pos: Pos;
}
export interface VarDecl {
  readonly d: "var";
  readonly type: TypeRef;
  readonly name: string;
  readonly init?: Expr;
  readonly pos: Pos;
}

export type Decl =
  | { readonly d: "header" | "header_union" | "struct"; readonly name: string; readonly fields: readonly Field[]; readonly pos: Pos }
  | { readonly d: "enum"; readonly name: string; readonly underlying?: TypeRef; readonly members: readonly { readonly name: string; readonly value?: Expr }[]; readonly pos: Pos }
  | { readonly d: "typedef"; readonly name: string; readonly type: TypeRef; readonly pos: Pos }
  | { readonly d: "error" | "match_kind"; readonly members: readonly string[]; readonly pos: Pos }
  | ConstDecl
  | { readonly d: "extern"; readonly name: string; readonly typeParams: readonly string[]; readonly methods: readonly Prototype[]; readonly pos: Pos }
  | { readonly d: "extern_function"; readonly proto: Prototype; readonly pos: Pos }
  | { readonly d: "parser"; readonly name: string; readonly typeParams: readonly string[]; readonly params: readonly Param[]; readonly prototype: boolean; readonly locals: readonly LocalDecl[]; readonly states: readonly ParserState[]; readonly pos: Pos }
  | { readonly d: "control"; readonly name: string; readonly typeParams: readonly string[]; readonly params: readonly Param[]; readonly prototype: boolean; readonly locals: readonly LocalDecl[]; readonly body: Stmt | undefined; readonly pos: Pos }
  | { readonly d: "package"; readonly name: string; readonly typeParams: readonly string[]; readonly params: readonly Param[]; readonly pos: Pos }
  | ActionDecl
  | InstanceDecl;

export interface Prototype {
  /** undefined for a constructor. */
  readonly returnType: TypeRef | undefined;
  readonly name: string;
  readonly typeParams: readonly string[];
  readonly params: readonly Param[];
  readonly pos: Pos;
}

export interface Program {
  readonly decls: readonly Decl[];
}

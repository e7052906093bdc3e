// P4-16 types and type checking of expressions (§7 types, §8 expressions, §8.11 casts).
// Checking follows the specification's rules on widths: both operands of an arithmetic,
// bitwise or comparison operator have the same type; an integer literal without a width
// (int, "infint") takes the other operand's type; any other change of width or signedness
// needs an explicit cast (§8.11.2 lists the implicit casts: only from infint, and
// serializable enums to their underlying type are not implicit either).
import { diag, type Diagnostic } from "../../ir/diag/diag.js";
import type { Decl, Expr, Pos, TypeRef } from "./ast.js";

export type P4Type =
  | { readonly t: "bit" | "int"; readonly w: number }
  | { readonly t: "varbit"; readonly w: number }
  | { readonly t: "bool" | "infint" | "error" | "string" | "void" | "dontcare" | "match_kind" }
  | { readonly t: "header" | "struct" | "header_union"; readonly name: string; readonly fields: readonly { readonly name: string; readonly type: P4Type }[] }
  | { readonly t: "stack"; readonly elem: P4Type; readonly size: number }
  | { readonly t: "enum"; readonly name: string; readonly members: readonly string[]; readonly values: readonly bigint[]; readonly underlying?: P4Type }
  | { readonly t: "extern"; readonly name: string; readonly args: readonly P4Type[] }
  | { readonly t: "typevar"; readonly name: string }
  | { readonly t: "list"; readonly elems: readonly P4Type[] };

export const BOOL: P4Type = { t: "bool" };
export const INFINT: P4Type = { t: "infint" };
export const VOID: P4Type = { t: "void" };

export function typeName(t: P4Type): string {
  switch (t.t) {
    case "bit":
    case "int":
    case "varbit":
      return `${t.t}<${t.w}>`;
    case "infint":
      return "int";
    case "header":
    case "struct":
    case "header_union":
    case "enum":
    case "extern":
    case "typevar":
      return t.name;
    case "stack":
      return `${typeName(t.elem)}[${t.size}]`;
    case "list":
      return `tuple<${t.elems.map(typeName).join(", ")}>`;
    default:
      return t.t;
  }
}

export function sameType(a: P4Type, b: P4Type): boolean {
  if (a.t !== b.t) return false;
  if ((a.t === "bit" || a.t === "int" || a.t === "varbit") && (b.t === "bit" || b.t === "int" || b.t === "varbit")) return a.w === b.w;
  if ("name" in a && "name" in b) return a.name === b.name;
  if (a.t === "stack" && b.t === "stack") return a.size === b.size && sameType(a.elem, b.elem);
  return true;
}

/** Bits a value of this type takes (headers: the sum of their fields). */
export function widthOf(t: P4Type): number {
  switch (t.t) {
    case "bit":
    case "int":
    case "varbit":
      return t.w;
    case "bool":
      return 1;
    case "error":
      return 32;
    case "enum":
      return t.underlying ? widthOf(t.underlying) : 32;
    case "header":
    case "struct":
      return t.fields.reduce((s, f) => s + widthOf(f.type), 0);
    default:
      return 0;
  }
}

/** Named types and constants in scope: the global environment the checker resolves against. */
export interface TypeEnv {
  readonly types: Map<string, P4Type>;
  readonly decls: Map<string, Decl>;
  readonly errors: string[];
  readonly matchKinds: Set<string>;
  readonly constants: Map<string, { type: P4Type; value: bigint }>;
  readonly diags: Diagnostic[];
}

export function typeError(env: Pick<TypeEnv, "diags">, pos: Pos, message: string): void {
  env.diags.push(diag("p4-type", { file: pos.file, line: pos.line, col: pos.col, length: pos.length }, [message]));
}

/** A compile-time integer (widths, stack sizes, constants). */
export function constValue(env: TypeEnv, e: Expr): bigint | undefined {
  switch (e.k) {
    case "int":
      return e.value;
    case "bool":
      return e.value ? 1n : 0n;
    case "name":
      return env.constants.get(e.name)?.value;
    case "unary":
      if (e.op === "-") {
        const v = constValue(env, e.operand);
        return v === undefined ? undefined : -v;
      }
      return undefined;
    case "binary": {
      const a = constValue(env, e.left);
      const b = constValue(env, e.right);
      if (a === undefined || b === undefined) return undefined;
      const ops: Record<string, (x: bigint, y: bigint) => bigint> = { "+": (x, y) => x + y, "-": (x, y) => x - y, "*": (x, y) => x * y, "<<": (x, y) => x << y, ">>": (x, y) => x >> y, "&": (x, y) => x & y, "|": (x, y) => x | y };
      return ops[e.op]?.(a, b);
    }
    case "cast":
      return constValue(env, e.operand);
    default:
      return undefined;
  }
}

/** Resolves a syntactic type; `vars` maps type parameters in scope. */
export function resolveType(env: TypeEnv, r: TypeRef, vars: ReadonlyMap<string, P4Type> = new Map()): P4Type {
  switch (r.kind) {
    case "bit":
    case "int":
    case "varbit": {
      if (!r.width) return r.kind === "int" ? INFINT : { t: r.kind, w: 1 };
      const w = constValue(env, r.width);
      if (w === undefined || w <= 0n || w > 2048n) {
        typeError(env, r.pos, `the width of ${r.kind}<...> must be a positive compile-time constant`);
        return { t: r.kind, w: 8 };
      }
      return { t: r.kind, w: Number(w) };
    }
    case "bool":
      return BOOL;
    case "error":
      return { t: "error" };
    case "string":
      return { t: "string" };
    case "void":
      return VOID;
    case "dontcare":
      return { t: "dontcare" };
    case "tuple":
      return { t: "list", elems: r.elems.map((x) => resolveType(env, x, vars)) };
    case "stack": {
      const elem = resolveType(env, r.elem, vars);
      const n = constValue(env, r.size);
      if (elem.t !== "header" && elem.t !== "header_union") typeError(env, r.pos, `a header stack holds headers, not ${typeName(elem)} (§8.18)`);
      if (n === undefined || n <= 0n) typeError(env, r.pos, "a header stack's size must be a positive compile-time constant");
      return { t: "stack", elem, size: Number(n ?? 1n) };
    }
    case "name": {
      const v = vars.get(r.name);
      if (v) return v;
      const t = env.types.get(r.name);
      if (t) return t.t === "extern" ? { ...t, args: r.args.map((a) => resolveType(env, a, vars)) } : t;
      typeError(env, r.pos, `unknown type '${r.name}'`);
      return { t: "bit", w: 8 };
    }
  }
}

/** Declares the program's named types (headers, structs, enums, typedefs, errors, externs). */
export function declareTypes(env: TypeEnv, decls: readonly Decl[]): void {
  for (const d of decls) {
    switch (d.d) {
      case "header":
      case "header_union":
      case "struct": {
        const fields = d.fields.map((f) => ({ name: f.name, type: resolveType(env, f.type) }));
        for (const f of fields) {
          if (d.d === "header" && !["bit", "int", "varbit", "bool", "enum"].includes(f.type.t)) typeError(env, d.pos, `header field '${f.name}' must be bit<W>, int<W>, varbit<W>, bool or a serializable enum, not ${typeName(f.type)} (§7.2.2)`);
          if (d.d === "header_union" && f.type.t !== "header") typeError(env, d.pos, `header_union field '${f.name}' must be a header (§7.2.4)`);
        }
        env.types.set(d.name, { t: d.d, name: d.name, fields });
        break;
      }
      case "enum": {
        const underlying = d.underlying && resolveType(env, d.underlying);
        const values = d.members.map((m, i) => (m.value ? (constValue(env, m.value) ?? BigInt(i)) : BigInt(i)));
        env.types.set(d.name, { t: "enum", name: d.name, members: d.members.map((m) => m.name), values, underlying });
        break;
      }
      case "typedef":
        env.types.set(d.name, resolveType(env, d.type));
        break;
      case "error":
        for (const m of d.members) if (!env.errors.includes(m)) env.errors.push(m);
        break;
      case "match_kind":
        for (const m of d.members) env.matchKinds.add(m);
        break;
      case "extern":
        env.types.set(d.name, { t: "extern", name: d.name, args: [] });
        env.decls.set(d.name, d);
        break;
      case "const": {
        const type = resolveType(env, d.type);
        const value = constValue(env, d.value);
        if (value !== undefined) env.constants.set(d.name, { type, value });
        env.decls.set(d.name, d);
        break;
      }
      case "parser":
      case "control":
      case "package":
      case "action":
      case "extern_function":
        env.decls.set(d.d === "extern_function" ? d.proto.name : d.name, d);
        break;
      case "instance":
        env.decls.set(d.name, d);
        break;
    }
  }
}

export function newTypeEnv(): TypeEnv {
  return { types: new Map(), decls: new Map(), errors: [], matchKinds: new Set(), constants: new Map(), diags: [] };
}

/**
 * The type two operands of a binary operator share (§8.5, §8.6): equal types, or an
 * infint next to a fixed-width type. Anything else is a type error naming both types.
 */
export function unify(env: TypeEnv, pos: Pos, op: string, a: P4Type, b: P4Type): P4Type {
  if (a.t === "infint") return b;
  if (b.t === "infint") return a;
  if (sameType(a, b)) return a;
  typeError(env, pos, `operator ${op} needs operands of the same type: ${typeName(a)} and ${typeName(b)} differ (P4-16 §8.11.2 allows no implicit cast between them; write an explicit cast)`);
  // The result is of no known type, so that one mistake gives one error, not a cascade.
  return { t: "dontcare" };
}

/** §8.11.2: may a value of type `from` be assigned to `to` without a cast? */
export function assignable(from: P4Type, to: P4Type): boolean {
  if (from.t === "infint") return to.t === "bit" || to.t === "int" || to.t === "infint";
  if (to.t === "dontcare" || from.t === "dontcare") return true;
  if (from.t === "list" && (to.t === "struct" || to.t === "header")) return from.elems.length === to.fields.length;
  return sameType(from, to);
}

/** §8.11.1 explicit casts bpfoff lowers: between bit/int of any width, bool <-> bit<1>, serializable enums and their underlying type. */
export function castAllowed(from: P4Type, to: P4Type): boolean {
  const num = (t: P4Type) => t.t === "bit" || t.t === "int" || t.t === "infint";
  if (num(from) && num(to)) return true;
  if (from.t === "bool" && to.t === "bit" && to.w === 1) return true;
  if (to.t === "bool" && from.t === "bit" && from.w === 1) return true;
  if (from.t === "enum" && from.underlying && num(to)) return true;
  if (to.t === "enum" && to.underlying && num(from)) return true;
  return sameType(from, to);
}

// The P4-16 grammar where it needs look-ahead gates (parser.ts): `>>` as a shift versus
// the end of two type-argument lists, `(T) e` casts versus parenthesised expressions,
// `<` comparisons versus generic calls, tuple keysets versus parenthesised values, and
// declarations versus expression statements. Each row: source of an expression or
// statement, and the AST reduced to a bracketed form.
import { describe, expect, it } from "vitest";
import type { Expr, Stmt } from "../../../frontends/p4/ast.js";
import { parseFile } from "../../../frontends/p4/source.js";
import { P4Parser } from "../../../frontends/p4/parser.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";

function show(e: Expr): string {
  switch (e.k) {
    case "int":
      return e.width !== undefined ? `${e.width}${e.signed ? "s" : "w"}${e.value}` : String(e.value);
    case "bool":
      return String(e.value);
    case "name":
      return e.name;
    case "member":
      return `${show(e.base)}.${e.member}`;
    case "index":
      return `${show(e.base)}[${show(e.index)}]`;
    case "slice":
      return `${show(e.base)}[${show(e.hi)}:${show(e.lo)}]`;
    case "call":
      return `${show(e.callee)}${e.typeArgs.length ? `<${e.typeArgs.map((t) => (t.kind === "bit" ? `bit<${t.width && show(t.width)}>` : t.kind === "name" ? t.name : t.kind)).join(",")}>` : ""}(${e.args.map(show).join(", ")})`;
    case "unary":
      return `(${e.op}${show(e.operand)})`;
    case "binary":
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case "cast":
      return `((${e.type.kind === "name" ? e.type.name : `${e.type.kind}<${"width" in e.type && e.type.width ? show(e.type.width) : ""}>`}) ${show(e.operand)})`;
    case "cond":
      return `(${show(e.cond)} ? ${show(e.then)} : ${show(e.else)})`;
    case "list":
      return `{${e.elems.map(show).join(", ")}}`;
    default:
      return e.k;
  }
}

function statements(body: string): Stmt[] {
  const { decls } = parseFile(`control c() { apply { ${body} } }`, "t.p4");
  const c = decls[0]!;
  if (c.d !== "control" || !c.body || c.body.s !== "block") throw new Error("no control");
  return [...c.body.body];
}

const ROWS: [string, string][] = [
  ["x = a >> 2;", "(a >> 2)"],
  ["x = a > b;", "(a > b)"],
  ["x = a >= b && c < d;", "((a >= b) && (c < d))"],
  ["x = (bit<8>) a >> 1;", "(((bit<8>) a) >> 1)"],
  ["x = (T) a;", "((T) a)"],
  ["x = (a) + b;", "(a + b)"],
  ["x = p.lookahead<bit<16>>();", "p.lookahead<bit<16>>()"],
  ["x = a < b ? c : d;", "((a < b) ? c : d)"],
  ["x = 8w1 ++ 4s3 ++ 0x0F;", "((8w1 ++ 4s3) ++ 15)"],
  ["x = h.f[7:4] | ~m & -n;", "(h.f[7:4] | ((~m) & (-n)))"],
  ["x = s[1].f + s.next.g;", "(s[1].f + s.next.g)"],
  ["x = 16w0x800 |+| 1_000 |-| 0b101;", "((16w2048 |+| 1000) |-| 5)"],
  ["x = {a, b};", "{a, b}"],
  ["x = t.apply().hit;", "t.apply().hit"],
];

describe("the grammar", () => {
  it("passes Chevrotain's grammar validations (skipped at run time for speed)", () => {
    expect(() => new P4Parser(true)).not.toThrow();
  }, 120_000);
});

describe("expressions", () => {
  for (const [src, want] of ROWS) {
    it(src, () => {
      const [s] = statements(src);
      expect(s!.s).toBe("assign");
      expect(show((s as Stmt & { s: "assign" }).value)).toBe(want);
    });
  }
});

describe("statements", () => {
  it("declarations versus expression statements", () => {
    const kinds = statements("bit<8> a = 1; T b; H[2] c; a = 2; f(a); t.apply(); h.setValid(); tuple<bit<8>, bool> tp; Pair<bit<8>> pr; { } ;").map((s) => s.s);
    expect(kinds).toEqual(["var", "var", "var", "assign", "call", "call", "call", "var", "var", "block", "empty"]);
  });

  it("a select with masks, ranges, tuples and default", () => {
    const { decls } = parseFile("parser p() { state start { transition select(a, b) { (1 &&& 0xf, 2 .. 5): s1; (_, default): accept; } } }", "t.p4");
    const p = decls[0]!;
    if (p.d !== "parser") throw new Error("no parser");
    const t = p.states[0]!.transition;
    if (!("cases" in t)) throw new Error("no select");
    expect(t.cases.map((c) => c.keys.map((k) => (k.k === "default" ? "default" : `${show(k.value)}${k.mask ? `&&&${show(k.mask)}` : ""}${k.high ? `..${show(k.high)}` : ""}`)))).toEqual([["1&&&15", "2..5"], ["default", "default"]]);
  });

  it("register<bit<32>>(n) name; is an instantiation (the two > close two lists)", () => {
    const { decls } = parseFile("control c() { register<bit<32>>(1024) r; apply { } }", "t.p4");
    const c = decls[0]!;
    expect(c.d === "control" && c.locals.map((l) => `${l.d}:${l.name}`)).toEqual(["instance:r"]);
  });
});

describe("syntax errors", () => {
  const error = (src: string) => {
    try {
      parseFile(src, "e.p4");
    } catch (e) {
      const d = (e as DiagnosticError).diagnostics[0]!;
      return `${d.loc.line}:${d.loc.col}: ${d.message}`;
    }
    return "no error";
  };
  it("name the position and what was expected", () => {
    expect(error("header h { bit<8> a }")).toBe("1:21: expected ';', found '}'");
    expect(error("control c() { apply { x = ; } }")).toBe("1:27: unexpected ';'");
    expect(error("parser p() { state s { transition } }")).toBe("1:35: unexpected '}'");
    expect(error("const bit<8> x = 1 $;")).toBe("1:20: unexpected character '$'");
  });
});

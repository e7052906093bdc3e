// The C grammar on the headers libbpf-style XDP programs include, and the parser's
// typedef-name handling and error locations.
import { describe, expect, it } from "vitest";
import { parseC } from "../../../frontends/c/parse.js";
import { CParser } from "../../../frontends/c/parser.js";
import { buildAst, type FunctionDef } from "../../../frontends/c/ast.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

const HEADERS = ["linux/bpf.h", "linux/if_ether.h", "linux/ip.h", "linux/ipv6.h", "linux/tcp.h", "linux/udp.h", "linux/in.h", "linux/pkt_cls.h", "bpf/bpf_helpers.h", "bpf/bpf_endian.h", "bpf/bpf_helper_defs.h"];
const CPP = hasTool("cpp");

describe("C parser", () => {
  it("the grammar passes Chevrotain's validations (no ambiguities it cannot resolve, no left recursion)", () => {
    expect(() => new CParser({ validate: true })).not.toThrow();
  });

  it.each(HEADERS)("parses <%s>", (h) => {
    if (!requireOrSkip("cpp", CPP, "the C frontend preprocesses with the system cpp")) return;
    // As programs include them: libbpf's headers expect the UAPI types to be declared.
    const u = parseC(`#include <linux/types.h>\n#include <linux/bpf.h>\n#include <${h}>\nint last;\n`, "t.c");
    const ast = buildAst(u.cst, u.lines, "t.c");
    expect(ast.externals.at(-1)).toMatchObject({ k: "decl", declarators: [{ declarator: { name: "last" } }] });
  });

  it("tells typedef names from identifiers", () => {
    if (!requireOrSkip("cpp", CPP, "the C frontend preprocesses with the system cpp")) return;
    const src = "typedef int T;\nint f(int a) { T * b; T T2; a * a; { int T; T = 1; } return (T)a; }\ntypedef struct { T x; } S;\nunsigned short new;\n";
    const u = parseC(src, "t.c");
    const ast = buildAst(u.cst, u.lines, "t.c");
    const f = ast.externals[1] as FunctionDef;
    expect(f.k).toBe("func");
    const items = f.body.k === "compound" ? f.body.items : [];
    expect(items.map((i) => i.k)).toEqual(["decl", "decl", "expr", "compound", "return"]);
  });

  it("parses the helper definitions' function pointers", () => {
    if (!requireOrSkip("cpp", CPP, "the C frontend preprocesses with the system cpp")) return;
    const u = parseC("static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *) 1;\n", "t.c");
    const ast = buildAst(u.cst, u.lines, "t.c");
    const d = ast.externals[0]!;
    expect(d.k === "decl" && d.declarators[0]!.declarator.derivations.map((x) => x.k)).toEqual(["ptr", "func", "ptr"]);
  });

  it("reports a syntax error at the original file:line:col", () => {
    if (!requireOrSkip("cpp", CPP, "the C frontend preprocesses with the system cpp")) return;
    try {
      parseC("#include <linux/types.h>\n\nint f(void) {\n  return 1 +;\n}\n", "bad.c");
      expect.fail("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      const d = (e as DiagnosticError).diagnostics[0]!;
      expect([d.loc.file, d.loc.line, d.loc.col]).toEqual(["bad.c", 4, 13]);
    }
  });

  it("reports a missing include at its line", () => {
    if (!requireOrSkip("cpp", CPP, "the C frontend preprocesses with the system cpp")) return;
    expect(() => parseC("\n#include <no/such.h>\n", "bad.c")).toThrow(/bad.c.*no\/such.h/);
  });
});

// The IR's textual form: it reads back what it prints, and bad text gets file:line:col.
import { describe, expect, it } from "vitest";
import { printModule } from "../../ir/text/print.js";
import { parseIr } from "../../ir/text/read.js";

const GOOD = `module xdp
map @counts percpu_array key=4 value=8 entries=4 flags=0
map @routes lpm_trie key=8 value=4 entries=16 flags=1

func @prog {
bb0(%0: ptr.ctx):
  %1 = ctx.get %0, data : ptr.packet
  %2 = ctx.get %0, data_end : ptr.packet
  %3 = packet.check %1, %2, 14 : i1
  br_if %3, bb1, bb2(1)
bb1:
  %4 = load.u16 packet, %1, 12 : i64
  %5 = be16 %4 : i64
  %6 = map.ref @counts : map
  %7 = call.helper 12, %0, %6, 0 : i64
  %8 = table.apply @routes, lpm, 32, %5 : ptr.map_value
  %9 = call @helper, %5, -1, 0, 0, 0 : i64
  br bb2(%9)
bb2(%10: i64):
  ret %10
}

func @helper {
bb0(%0: i64, %1: i64, %2: i64, %3: i64, %4: i64):
  %5 = frame : ptr.stack
  store.u64 stack, %5, -8, %0
  %6 = atomic.fetch_add.u64 stack, %5, -8, %1 : i64
  %7 = select 1, %6, 0x10 : i64
  ret %7
}
`;

describe("IR text", () => {
  it("print(parse(text)) is the text, for printed IR", () => {
    const printed = printModule(parseIr(GOOD, "good.ir"));
    expect(printModule(parseIr(printed, "again.ir"))).toBe(printed);
    expect(printed).toBe(GOOD.replace("0x10", "16"));
  });

  it("table.apply: a map, then (match kind, width, value) per key field, reads back as printed", () => {
    const text = `module xdp
map @acl tcam key=9 value=8 entries=16 flags=0

func @prog {
bb0(%0: ptr.ctx):
  %1 = ctx.get %0, ingress_ifindex : i64
  %2 = table.apply @acl, ternary, 32, %1, range, 16, 80, exact, 1, 1, lpm, 24, %1 : ptr.map_value
  %3 = icmp.eq %2, 0 : i1
  br_if %3, bb1, bb2
bb1:
  ret 1
bb2:
  %4 = load.u32 map_value, %2, 0 : i64
  ret %4
}
`;
    const m = parseIr(text, "t.ir");
    expect(printModule(m)).toBe(text);
    const apply = m.funcs[0]!.blocks[0]!.insts[1]!;
    expect(apply.args.map((a) => a.kind)).toEqual(["sym", "word", "imm", "value", "word", "imm", "imm", "word", "imm", "imm", "word", "imm", "value"]);
  });

  const bad: [string, string, RegExp][] = [
    ["no module line", "func @f {\nbb0:\n  ret 0\n}\n", /bad\.ir:1:1: the module must start with 'module xdp' or 'module raw'/],
    ["unknown opcode", "module raw\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  %2 = frobnicate %1 : i64\n  ret %2\n}\n", /unknown opcode 'frobnicate'/],
    ["bad type", "module raw\nfunc @f {\nbb0(%0: ptr.mem, %1: i65):\n  ret %1\n}\n", /bad\.ir:3:22: unknown type 'i65'/],
    ["missing terminator", "module raw\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  %2 = add %1, 1 : i64\n}\n", /bad\.ir:3:1: block bb0 has no terminator/],
    ["undefined value", "module raw\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  ret %9\n}\n", /uses %9, which is never defined/],
    ["wrong result type", "module raw\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  %2 = icmp.eq %1, 0 : i64\n  ret %1\n}\n", /result type is i1, not i64/],
    ["wrong arity to a block", "module raw\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  br bb1\nbb1(%2: i64):\n  ret %2\n}\n", /passes 0 values to bb1, which takes 1/],
    ["unknown map", "module raw\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  %2 = map.ref @nope : map\n  ret 0\n}\n", /names @nope, which this module does not define/],
    ["branch to the entry", "module raw\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  br bb0(%0, %1)\n}\n", /entry block must not be a branch target/],
    ["syntax", "module raw\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  %2 = = add\n}\n", /bad\.ir:4:8: unexpected '='/],
    ["table.apply: key operands in threes", "module raw\nmap @t hash key=4 value=4 entries=1 flags=0\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  %2 = table.apply @t, exact, %1 : ptr.map_value\n  ret 0\n}\n", /key operands come in threes \(match kind, width, value\), not 2/],
    ["table.apply: match kind", "module raw\nmap @t hash key=4 value=4 entries=1 flags=0\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  %2 = table.apply @t, fuzzy, 32, %1 : ptr.map_value\n  ret 0\n}\n", /key field 1: the match kind must be one of exact, lpm, ternary, range/],
    ["table.apply: width", "module raw\nmap @t hash key=4 value=4 entries=1 flags=0\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  %2 = table.apply @t, exact, 65, %1 : ptr.map_value\n  ret 0\n}\n", /key field 1: the width must be an integer from 1 to 64/],
    ["table.apply: result type", "module raw\nmap @t hash key=4 value=4 entries=1 flags=0\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  %2 = table.apply @t, exact, 32, %1 : i64\n  ret 0\n}\n", /result type is ptr.map_value, not i64/],
    ["defined twice", "module raw\nfunc @f {\nbb0(%0: ptr.mem, %1: i64):\n  %1 = add %0, 1 : ptr.mem\n  ret 0\n}\n", /%1 is defined twice/],
  ];
  for (const [name, text, re] of bad) {
    it(`rejects: ${name}`, () => {
      expect(() => parseIr(text, "bad.ir")).toThrow(re);
    });
  }
});

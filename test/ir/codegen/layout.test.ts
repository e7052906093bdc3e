// Block layout before BPF emission: the entry first, every block once, and a conditional
// branch whose successors are both elsewhere in the IR's order gets one of them right
// after it (no `ja` after the conditional jump), with the program's meaning unchanged.
import { describe, expect, it } from "vitest";
import { compileModule } from "../../../backends/bpf/codegen/index.js";
import { emitFunction } from "../../../backends/bpf/codegen/emit.js";
import { layoutBlocks } from "../../../backends/bpf/codegen/layout.js";
import type { Insn } from "../../../ir/bpf/insn.js";
import { successors } from "../../../ir/core/ir.js";
import { CLASS } from "../../../ir/bpf/opcodes.js";
import { parseIr } from "../../../ir/text/read.js";
import { runRaw } from "../../../runtime/interp/run.js";
import { verify } from "../../../verifier/verify.js";

// The join (bb3) and an early return sit between the branch and its successors, as the C
// frontend writes them: in this order bb0's branch needs a conditional jump and a `ja`.
const IR = `module raw

func @main {
bb0(%0: ptr.mem, %1: i64):
  %2 = icmp.eq %1, 0 : i1
  br_if %2, bb1, bb2
bb3(%5: i64):
  %6 = icmp.ugt %5, 8 : i1
  br_if %6, reject, bb4
reject:
  ret 1
bb1:
  %3 = add %1, 1 : i64
  br bb3(%3)
bb4:
  %7 = mul %5, 3 : i64
  ret %7
bb2:
  %4 = add %1, 5 : i64
  br bb3(%4)
}
`;

const isJa = (i: Insn) => i.opcode === (CLASS.JMP | 0x00);
const isCondJump = (i: Insn) => ((i.opcode & 7) === CLASS.JMP || (i.opcode & 7) === CLASS.JMP32) && !isJa(i) && ![0x85, 0x95].includes(i.opcode);
/** Conditional jumps followed by a `ja`: the pattern layout removes. */
const jaAfterBranch = (slots: readonly Insn[]) => slots.filter((s, k) => isCondJump(s) && slots[k + 1] !== undefined && isJa(slots[k + 1]!)).length;

describe("block layout", () => {
  const m = parseIr(IR, "layout.ir");
  const f = m.funcs[0]!;

  it("keeps the entry first and places every block once", () => {
    const names = layoutBlocks(f).blocks.map((b) => b.name);
    expect(names[0]).toBe("bb0");
    expect([...names].sort()).toEqual(f.blocks.map((b) => b.name).sort());
    expect(new Set(names).size).toBe(names.length);
  });

  it("follows a branch with a successor, the join after both arms, a block that only returns last", () => {
    // bb2 (else, the frontends' usual path) after bb0; the join bb3 waits for bb1, then
    // bb4 (not the return) after bb3; reject returns in place.
    expect(layoutBlocks(f).blocks.map((b) => b.name)).toEqual(["bb0", "bb2", "bb1", "bb3", "bb4", "reject"]);
  });

  it("jumps backwards only over a loop's back edge", () => {
    const at = new Map(layoutBlocks(f).blocks.map((b, k) => [b.name, k]));
    for (const b of f.blocks) for (const s of successors(b.term)) expect(at.get(s.block)!).toBeGreaterThan(at.get(b.name)!);
  });

  it("places an if-then's then-block before the join that waits for it", () => {
    const g = parseIr(`module raw

func @main {
bb0(%0: ptr.mem, %1: i64):
  %2 = icmp.eq %1, 0 : i1
  br_if %2, then, join(%1)
join(%3: i64):
  ret %3
then:
  %4 = add %1, 7 : i64
  br join(%4)
}
`, "if-then.ir").funcs[0]!;
    // join only returns, so it goes last; then falls into it.
    expect(layoutBlocks(g).blocks.map((b) => b.name)).toEqual(["bb0", "then", "join"]);
  });

  it("takes the `ja` after the branch away", () => {
    // The IR's own order (emission without layout) needs it: the test can fail.
    expect(jaAfterBranch(emitFunction(m, f).slots)).toBeGreaterThan(0);
    const laidOut = emitFunction(m, layoutBlocks(f)).slots;
    expect(jaAfterBranch(laidOut)).toBe(0);
    expect(laidOut.length).toBeLessThan(emitFunction(m, f).slots.length);
  });

  it("keeps the meaning and passes the verifier", () => {
    const obj = compileModule(m, { name: "main", section: "", mapInit: new Map(), license: "" });
    expect(verify(obj, 0, { type: "raw" }).ok).toBe(true);
    // %1 is the input's length: 0 takes bb1, others bb2; a join value above 8 is rejected.
    for (const [len, r0] of [[0, 3n], [1, 18n], [3, 24n], [4, 1n], [12, 1n]] as const) expect(runRaw(obj, new Uint8Array(len)).r0).toBe(r0);
  });

  it("leaves a loop's header ahead of its body and the exit after the loop", () => {
    const loop = parseIr(`module raw

func @main {
bb0(%0: ptr.mem, %1: i64):
  br head(0, 0)
exit(%9: i64):
  ret %9
head(%2: i64, %3: i64):
  %4 = icmp.ult %2, %1 : i1
  br_if %4, body, exit(%3)
body:
  %5 = add %3, %2 : i64
  %6 = add %2, 1 : i64
  br head(%6, %5)
}
`, "loop.ir");
    expect(layoutBlocks(loop.funcs[0]!).blocks.map((b) => b.name)).toEqual(["bb0", "head", "body", "exit"]);
    const obj = compileModule(loop, { name: "main", section: "", mapInit: new Map(), license: "" });
    expect(runRaw(obj, new Uint8Array(5)).r0).toBe(10n);
  });
});

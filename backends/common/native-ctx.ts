// Which loads of an XDP program read struct xdp_md directly (as the kernel's verifier
// rewrites them, convert_ctx_access): a 4-byte load at a field offset through a register
// that certainly holds the context. The native code loads those without a bounds check,
// since the runtime's xdp_md holds the same u32 values the interpreter's does (its
// pointers live below 4 GiB). A forward pass in slot order: r1 holds ctx at entry;
// a register copy (mov64) passes it on; any other write ends it; a helper call ends it
// in r1-r5 (caller-saved, RFC 9669 §2.1); a jump target or a subprogram ends all of it.
import { formOf, type Insn } from "../../ir/bpf/insn.js";
import { XDP_MD } from "../../runtime/interp/xdp.js";

const FIELD_OFFSETS: ReadonlySet<number> = new Set(Object.entries(XDP_MD).filter(([k]) => k !== "size").map(([, v]) => v));

export function directCtxLoads(slots: readonly Insn[], type: "raw" | "xdp"): ReadonlySet<number> {
  const out = new Set<number>();
  if (type !== "xdp") return out;
  const joins = new Set<number>();
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const f = formOf(s);
    if (!f) continue;
    if (f.shape === "ja" || f.shape === "jmp_imm" || f.shape === "jmp_reg") joins.add(i + 1 + s.off);
    if (f.shape === "ja32") joins.add(i + 1 + s.imm);
    if (f.shape === "call" && s.src === 1) joins.add(i + 1 + s.imm);
    if (f.shape === "lddw") i++;
  }
  let ctx = new Set<number>([1]);
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const f = formOf(s);
    if (joins.has(i)) ctx = new Set();
    if (!f) continue;
    switch (f.shape) {
      case "ldx":
        if (ctx.has(s.src) && (s.opcode & 0x18) === 0 && (s.opcode & 0xe0) === 0x60 && FIELD_OFFSETS.has(s.off)) out.add(i);
        ctx.delete(s.dst);
        break;
      case "alu_reg":
        if (s.opcode === 0xbf && s.off === 0 && ctx.has(s.src)) ctx.add(s.dst);
        else ctx.delete(s.dst);
        break;
      case "alu_imm":
      case "unary":
      case "movsx":
      case "end":
        ctx.delete(s.dst);
        break;
      case "lddw":
        ctx.delete(s.dst);
        i++;
        break;
      case "atomic":
        ctx.delete(s.src);
        ctx.delete(0);
        break;
      case "call":
      case "callx":
        for (const r of [0, 1, 2, 3, 4, 5]) ctx.delete(r);
        if (s.src === 1) ctx = new Set();
        break;
      case "exit":
        ctx = new Set();
        break;
      default:
        break;
    }
  }
  return out;
}

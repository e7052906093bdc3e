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

/** Helpers that move the packet (bpf_helper_changes_pkt_data): packet pointers die at them. */
const MOVES_PACKET: ReadonlySet<number> = new Set([44, 54, 65]);

type Fact = { readonly kind: "data" | "end"; readonly gen: number; readonly off: number };

/**
 * Packet accesses the program has already bounds-checked itself, so that the native code
 * needs no check of its own (what the verifier's packet ranges prove, in the simplest
 * form): within a straight-line stretch, `data` and `data_end` come from direct xdp_md
 * loads, `data + K` from register copies and constant adds, and the fall-through of
 * `jgt data+K, data_end` (or `jlt data_end, data+K`) proves [data, data+K) inside the
 * packet; an access [data+o, data+o+size) with 0 <= o and o+size <= K is then safe. Any
 * jump target forgets everything (paths merge there), as does a helper that moves the packet.
 */
export function provenPacketAccesses(slots: readonly Insn[], type: "raw" | "xdp", ctxLoads: ReadonlySet<number>): ReadonlySet<number> {
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
  let regs = new Map<number, Fact>();
  let safe = new Map<number, number>(); // generation -> K proven
  let gen = 0;
  const forget = () => {
    regs = new Map();
    safe = new Map();
    gen++;
  };
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const f = formOf(s);
    if (joins.has(i)) forget();
    if (!f) continue;
    const size = [4, 2, 1, 8][(s.opcode >> 3) & 3]!;
    const proven = (base: number, off: number): boolean => {
      const r = regs.get(base);
      return r !== undefined && r.kind === "data" && r.off + off >= 0 && r.off + off + size <= (safe.get(r.gen) ?? 0);
    };
    switch (f.shape) {
      case "ldx":
        if (proven(s.src, s.off)) out.add(i);
        regs.delete(s.dst);
        if (ctxLoads.has(i) && (s.off === XDP_MD.data || s.off === XDP_MD.data_end)) regs.set(s.dst, { kind: s.off === XDP_MD.data ? "data" : "end", gen, off: 0 });
        break;
      case "st":
      case "stx":
        if (proven(s.dst, s.off)) out.add(i);
        break;
      case "alu_reg": {
        const from = regs.get(s.src);
        if (s.opcode === 0xbf && s.off === 0 && from) regs.set(s.dst, from);
        else regs.delete(s.dst);
        break;
      }
      case "alu_imm": {
        const r = regs.get(s.dst);
        // 64-bit add/sub of a constant keeps a packet pointer a packet pointer.
        if (r?.kind === "data" && (s.opcode === 0x07 || s.opcode === 0x17)) regs.set(s.dst, { ...r, off: r.off + (s.opcode === 0x07 ? s.imm : -s.imm) });
        else regs.delete(s.dst);
        break;
      }
      case "jmp_reg": {
        // Only the fall-through is followed: jgt A, E and jlt E, A fall through when A <= E.
        const a = regs.get(s.dst);
        const b = regs.get(s.src);
        const code = s.opcode;
        const [ptr, end] = code === 0x2d ? [a, b] : code === 0xad ? [b, a] : [undefined, undefined];
        if (ptr?.kind === "data" && end?.kind === "end" && ptr.gen === end.gen && ptr.off >= 0) safe.set(ptr.gen, Math.max(safe.get(ptr.gen) ?? 0, ptr.off));
        break;
      }
      case "lddw":
        regs.delete(s.dst);
        i++;
        break;
      case "call":
      case "callx":
        for (const r of [0, 1, 2, 3, 4, 5]) regs.delete(r);
        if (s.src !== 0 || f.shape === "callx" || MOVES_PACKET.has(s.imm)) forget();
        break;
      case "atomic":
        regs.delete(s.src);
        regs.delete(0);
        break;
      case "exit":
        forget();
        break;
      default:
        if (f.shape === "unary" || f.shape === "movsx" || f.shape === "end") regs.delete(s.dst);
        break;
    }
  }
  return out;
}

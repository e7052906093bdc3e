// Table lowering for targets without match-action tables (BPF and what runs BPF):
// `%p = table.apply @t, kind, width, value, ...` becomes the key packed into a stack
// buffer in the layout of @t's map kind (runtime/maps/table-layout.ts, the same rules the
// control plane writes entries in) and `%p = map.lookup @t, %key`.
// Needs: valid IR; each table.apply names a hash, lpm_trie or tcam map whose key size is
//   the layout's size for its fields' widths; the function's frame use known at compile
//   time (every frame address a constant offset), as the P4 frontend makes it.
// Keeps: valid IR, the same behaviour (the map does the matching: the masks of a tcam
//   entry and the prefix of an lpm entry are the control plane's); no table.apply left.
// The key buffer: one per function, 8-aligned below every byte the function touches, as
//   large as its largest key. Each apply rewrites all of it before its lookup, so applies
//   share it: a key is dead once map.lookup has read it. Bytes no field covers (hash
//   padding) are zeroed, since the kernel hashes every key byte and the verifier wants
//   the stack initialised. A hash field is stored whole in host order; a network-order
//   field is shifted to its left-aligned bits and stored in the widest aligned pieces
//   (the kernel requires aligned stack accesses), each byte-swapped with beN.
// lpm_trie keys carry the prefix length of the lookup: every bit of the key.
import { diag, DiagnosticError } from "../diag/diag.js";
import { imm, maxValueId, originOf, val, word, type Arg, type Func, type Inst, type Module } from "../core/ir.js";
import { tableKeyLayout, type KeyLayout, type TableMapKind } from "../../runtime/maps/table-layout.js";
import { frameDepth } from "./inline.js";

/** A broken invariant of this pass's input: a compiler bug, not a user error. */
function bug(message: string): never {
  throw new DiagnosticError([{ ...diag("ir-invalid", {}, [`lower-tables: ${message}`]), severity: "bug" }]);
}

const TABLE_KINDS: readonly string[] = ["hash", "lpm_trie", "tcam"] satisfies readonly TableMapKind[];

/** The byte-swap to network order for a piece of 2, 4 or 8 bytes (1 byte needs none). */
const TO_NETWORK: Readonly<Record<number, string>> = { 2: "be16", 4: "be32", 8: "be64" };

interface Apply {
  readonly layout: KeyLayout;
  readonly mapKind: TableMapKind;
  readonly values: readonly Arg[];
}

function applyOf(m: Module, i: Inst): Apply {
  const name = i.args[0]?.kind === "sym" ? i.args[0].name : "";
  const map = m.maps.find((x) => x.name === name);
  if (!map || !TABLE_KINDS.includes(map.kind)) return bug(`table.apply @${name}: no hash, lpm_trie or tcam map of that name`);
  const rest = i.args.slice(1);
  const widths: number[] = [];
  const values: Arg[] = [];
  for (let k = 0; k + 2 < rest.length; k += 3) {
    widths.push(Number((rest[k + 1] as { value: bigint }).value));
    values.push(rest[k + 2]!);
  }
  const mapKind = map.kind as TableMapKind;
  const layout = tableKeyLayout(mapKind, widths);
  if (layout.size !== map.keySize) return bug(`table.apply @${name}: the fields pack into ${layout.size} bytes, the map's key is ${map.keySize}`);
  return { layout, mapKind, values };
}

function lowerFunc(m: Module, f: Func): Func {
  if (!f.blocks.some((b) => b.insts.some((i) => i.op === "table.apply"))) return f;
  const applies = new Map<Inst, Apply>();
  for (const b of f.blocks) for (const i of b.insts) if (i.op === "table.apply") applies.set(i, applyOf(m, i));
  const depth = frameDepth(f);
  if (depth === undefined) return bug(`@${f.name}: its frame use is not known at compile time, so no key buffer can be placed`);
  const size = Math.max(...[...applies.values()].map((a) => a.layout.size));
  const buf = BigInt(-Math.ceil((Number(-depth) + size) / 8) * 8);
  let next = maxValueId(f) + 1;
  const entry = f.blocks[0]!;
  const existing = entry.insts.find((i) => i.op === "frame")?.result;
  const fp = existing ?? next++;
  const blocks = f.blocks.map((b, bi) => {
    const insts: Inst[] = bi === 0 && existing === undefined ? [{ result: fp, type: "ptr.stack", op: "frame", args: [] }] : [];
    for (const i of b.insts) {
      const a = applies.get(i);
      if (!a) {
        insts.push(i);
        continue;
      }
      const o = originOf(i);
      const store = (bytes: number, at: number, v: Arg) => insts.push({ op: `store.u${bytes * 8}`, args: [word("stack"), val(fp), imm(buf + BigInt(at)), v], ...o });
      const emit = (op: string, args: Arg[]): Arg => {
        const id = next++;
        insts.push({ result: id, type: "i64", op, args, ...o });
        return val(id);
      };
      const covered = new Uint8Array(a.layout.size);
      for (const fl of a.layout.fields) covered.fill(1, fl.offset, fl.offset + fl.bytes);
      if (a.mapKind === "lpm_trie") {
        covered.fill(1, 0, 4);
        store(4, 0, imm(a.layout.size * 8 - 32));
      }
      for (let k = 0; k < covered.length; k++) if (!covered[k]) store(1, k, imm(0));
      a.layout.fields.forEach((fl, k) => {
        const v = a.values[k]!;
        if (fl.order === "le") return store(fl.bytes, fl.offset, v);
        const lshift = fl.bytes * 8 - fl.width;
        const aligned = lshift ? emit("shl", [v, imm(lshift)]) : v;
        for (let at = 0; at < fl.bytes; ) {
          const piece = [8, 4, 2, 1].find((s) => s <= fl.bytes - at && (Number(buf) + fl.offset + at) % s === 0)!;
          const rshift = (fl.bytes - at - piece) * 8;
          const bits = rshift ? emit("lshr", [aligned, imm(rshift)]) : aligned;
          store(piece, fl.offset + at, piece === 1 ? bits : emit(TO_NETWORK[piece]!, [bits]));
          at += piece;
        }
      });
      const key = next++;
      insts.push({ result: key, type: "ptr.stack", op: "ptradd", args: [val(fp), imm(buf)], ...o });
      insts.push({ result: i.result, type: "ptr.map_value", op: "map.lookup", args: [i.args[0]!, val(key)], ...o });
    }
    return { ...b, insts };
  });
  return { ...f, blocks };
}

export function lowerTables(m: Module): Module {
  return { ...m, funcs: m.funcs.map((f) => lowerFunc(m, f)) };
}

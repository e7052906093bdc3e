// lower-tables against the control plane: for random table shapes and key values, the key
// the lowered program builds finds the entry that frontends/p4/entries.ts encodes for the
// same values (both sides read runtime/maps/table-layout.ts, so this checks that the pass
// packs, byte-swaps and aligns as the layout says), and a key one bit off misses.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileModule } from "../../../backends/bpf/codegen/index.js";
import { encodeEntry } from "../../../frontends/p4/entries.js";
import { keyLayout, valueLayout, type TableInfo } from "../../../frontends/p4/tables.js";
import { validateModule } from "../../../ir/core/validate.js";
import { runPasses } from "../../../ir/passes/index.js";
import { parseIr } from "../../../ir/text/read.js";
import { instantiateMaps, runRaw } from "../../../runtime/interp/run.js";
import { writeEntry } from "../../../runtime/maps/index.js";

const mask = (w: number) => (1n << BigInt(w)) - 1n;

/** A table whose keys have these widths; lpm_trie tables have their lpm key last. */
function table(mapKind: TableInfo["mapKind"], widths: number[]): TableInfo {
  const kinds = widths.map((_, i) => (mapKind === "hash" ? "exact" : mapKind === "lpm_trie" ? (i === widths.length - 1 ? "lpm" : "exact") : i % 2 ? "exact" : "ternary"));
  return { mapName: "t", control: "c", table: "t", keys: widths.map((width, i) => ({ name: `k${i}`, kind: kinds[i]!, width })), actions: [{ name: "miss_action", params: [] }, { name: "hit_action", params: [{ name: "x", width: 16 }] }], mapKind, size: 8 };
}

/** Reads key i from mem[8i], applies the table, returns 100 + the action's x on a hit, 1 on a miss. */
function program(t: TableInfo): string {
  const kl = keyLayout(t);
  const vl = valueLayout(t);
  const lines = t.keys.flatMap((k, i) => [`  %${10 + i} = load.u64 mem, %0, ${8 * i} : i64`, `  %${30 + i} = and %${10 + i}, ${mask(k.width)} : i64`]);
  const fields = t.keys.map((k, i) => `${k.kind}, ${k.width}, %${30 + i}`).join(", ");
  return `module raw
map @t ${t.mapKind} key=${kl.size} value=${vl.size} entries=8 flags=${t.mapKind === "lpm_trie" ? 1 : 0}

func @main {
bb0(%0: ptr.mem, %1: i64):
${lines.join("\n")}
  %2 = table.apply @t, ${fields} : ptr.map_value
  %3 = icmp.ne %2, 0 : i1
  br_if %3, hit, miss
hit:
  %4 = load.u16 map_value, %2, ${vl.actions[1]!.params[0]!.offset} : i64
  %5 = add %4, 100 : i64
  ret %5
miss:
  ret 1
}
`;
}

const shape = fc.record({
  mapKind: fc.constantFrom<TableInfo["mapKind"]>("hash", "lpm_trie", "tcam"),
  widths: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }),
});

describe("lower-tables", () => {
  it("builds the key the control plane encodes (hash, lpm_trie, tcam; widths 1..64)", () => {
    fc.assert(
      fc.property(shape, fc.array(fc.bigInt({ min: 0n, max: mask(64) }), { minLength: 4, maxLength: 4 }), fc.nat(), ({ mapKind, widths }, raw, flip) => {
        const t = table(mapKind, widths);
        const values = widths.map((w, i) => raw[i]! & mask(w));
        const lowered = runPasses(parseIr(program(t), "t.ir"), ["lower-tables"]);
        expect(validateModule(lowered)).toEqual([]);
        expect(lowered.funcs[0]!.blocks.some((b) => b.insts.some((i) => i.op === "table.apply"))).toBe(false);
        const object = compileModule(lowered, { name: "main", section: "", mapInit: new Map(), license: "" });
        const maps = instantiateMaps(object);
        const { entries } = encodeEntry([t], { table: "t", match: new Map(values.map((v, i) => [`k${i}`, { value: v }])), action: "hit_action", params: [0x1234n] });
        expect(entries.length).toBe(1);
        expect(writeEntry(maps[0]!, entries[0]!)).toBe(0);
        const mem = (vs: bigint[]) => {
          const m = new Uint8Array(8 * vs.length);
          vs.forEach((v, i) => new DataView(m.buffer).setBigUint64(8 * i, v, true));
          return m;
        };
        expect(runRaw(object, mem(values), { maps }).r0).toBe(0x1234n + 100n);
        // One bit of one field changed: every key is matched whole (full masks, full prefix).
        const k = flip % widths.length;
        const other = values.map((v, i) => (i === k ? v ^ (1n << BigInt(flip % widths[i]!)) : v));
        expect(runRaw(object, mem(other), { maps }).r0).toBe(1n);
      }),
      { numRuns: 150 },
    );
  });

  it("refuses a table.apply whose fields do not fill the map's key (a compiler bug)", () => {
    const text = program(table("hash", [32])).replace("key=4", "key=8");
    expect(() => runPasses(parseIr(text, "t.ir"), ["lower-tables"])).toThrow(/bug: invalid IR: lower-tables: table.apply @t: the fields pack into 4 bytes, the map's key is 8/);
  });
});

// Sixteen maps on the Verilog BPF engine (the map table's 16 entries, a 4-bit map index in
// handles and value addresses), in Verilator against the reference interpreter: a
// program that updates and reads maps 0..15 of several kinds, global data in map 13, a
// map command on map 15, the refusal of a seventeenth map, and a prog_array and devmap
// past map 7.
// requires: verilator
import { beforeAll, describe, expect, it } from "vitest";
import { mapLayout, mapProblems, mapsFile, storeMapMemory } from "../../../backends/fpga/maps.js";
import { buildEngineModel, runEngine, type EngineModel } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { instantiateMaps, runXdp } from "../../../runtime/interp/run.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { u32leBytes } from "../../../runtime/maps/map.js";
import { formatMapsState } from "../../../runtime/maps/state.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { compareRaw } from "./compare.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

let model: EngineModel;
beforeAll(() => {
  if (haveVerilator) model = buildEngineModel({ jobs: 2 });
});

/** Sixteen maps: arrays, hashes, an LRU hash, an LPM trie, global-data-like arrays. */
const KINDS = ["array", "hash", "array", "lru_hash", "hash", "array", "percpu_array", "hash", "array", "hash", "lpm_trie", "array", "hash", "array", "hash", "array"];
const DECL = KINDS.map((k, i) => `.map m${i} ${k} key=${k === "array" || k === "percpu_array" ? 4 : 8} value=8 entries=4\n`).join("");

describe("sixteen maps (backends/fpga/maps.ts)", () => {
  it("the layout takes 16, refuses 17", () => {
    const o = assemble(`${DECL}mov %r0, 0\nexit`, "t.s");
    expect(mapProblems(o.maps)).toEqual([]);
    const o17 = assemble(`${DECL}.map x array key=4 value=8 entries=1\nmov %r0, 0\nexit`, "t.s");
    expect(mapProblems(o17.maps)).toEqual(["17 maps (the engine's map table has 16 entries)"]);
  });
});

describe.skipIf(!haveVerilator)("sixteen maps on the FPGA engine match the interpreter", () => {
  it("every map updated and looked up by index, global data in map 13, r1 the handle of each", () => {
    let src = DECL + "mov %r6, 0\n";
    KINDS.forEach((k, i) => {
      const keyed = !(k === "array" || k === "percpu_array");
      // key: u32 2 (arrays) or, for keyed maps, prefixlen 32 + data (LPM) / 8 bytes
      src += keyed ? `stw [%r10-8], ${k === "lpm_trie" ? 32 : i}\nstw [%r10-4], ${i * 3}\n` : "stw [%r10-8], 2\n";
      src += `stdw [%r10-16], ${i * 11 + 1}\nmov %r2, %r10\nadd %r2, -8\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\nlddw %r1, map(m${i})\ncall 2\nadd %r6, %r0\n`;
      src += `mov %r2, %r10\nadd %r2, -8\nlddw %r1, map(m${i})\ncall 1\njeq %r0, 0, +3\nldxdw %r1, [%r0+0]\nmul %r6, 3\nadd %r6, %r1\n`;
    });
    src += "lddw %r1, map_value(m13)+4\nldxw %r2, [%r1+0]\nadd %r6, %r2\nstw [%r1+0], 99\nmov %r0, %r6\nexit\n";
    const seed = (o: ReturnType<typeof assemble>) => {
      const maps = instantiateMaps(o);
      maps[13]!.update(u32leBytes(0), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 0);
      return maps;
    };
    expect(compareRaw(src, undefined, seed)).toMatchObject({ kind: "done" });
  });

  it("a map command on map 15 and a lookup past the table (index 16 is no map: error 6)", () => {
    const o = assemble(`${DECL}mov %r0, 0\nexit`, "t.s");
    const layout = mapLayout(o.maps);
    const live = instantiateMaps(o);
    const [r] = runEngine(model, [{
      name: "m15", slots: [], maps: mapsFile(layout, live), mapBytes: layout.bytes,
      control: { commands: [
        { op: "update", map: 15, key: u32leBytes(3), value: new Uint8Array(8).fill(0x5a), flags: 0, valueSize: 8 },
        { op: "lookup", map: 15, key: u32leBytes(3), valueSize: 8 },
        { op: "update", map: 14, key: new Uint8Array(8).fill(1), value: new Uint8Array(8).fill(7), flags: 1, valueSize: 8 },
      ] },
    }]);
    expect(r!.control!.map((c) => [c.status, Number(BigInt.asIntN(64, c.r0)) === 0 ? 0 : "addr"])).toEqual([["done", 0], ["done", "addr"], ["done", 0]]);
    storeMapMemory(layout, r!.maps!, live);
    const ref = instantiateMaps(o);
    ref[15]!.update(u32leBytes(3), new Uint8Array(8).fill(0x5a), 0);
    ref[14]!.update(new Uint8Array(8).fill(1), new Uint8Array(8).fill(7), 1);
    expect(formatMapsState(live)).toBe(formatMapsState(ref));
    expect(compareRaw(`${DECL}stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, 0x11000000000\ncall 1\nexit`, undefined, (x) => instantiateMaps(x))).toMatchObject({ kind: "error" });
  });
});

describe.skipIf(!haveVerilator)("a prog_array and a devmap past map 7 (4-bit index in tail-call and redirect_map handles)", () => {
  it("a tail call through map 9 and bpf_redirect_map through map 14, the other maps arrays: as the interpreter", () => {
    const decl = KINDS.map((_, i) => (i === 9 ? ".map jmp prog_array key=4 value=4 entries=2\n" : i === 14 ? ".map dev devmap key=4 value=4 entries=4\n" : `.map m${i} array key=4 value=8 entries=1\n`)).join("");
    const entry = assemble(`${decl}lddw %r2, map(jmp)\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit`, "e.s");
    const fwd = assemble(`${decl}lddw %r1, map(dev)\nmov %r2, 2\nmov %r3, 0\ncall 51\nexit`, "f.s");
    const object = { ...entry, programs: [{ ...entry.programs[0]!, name: "entry" }, { ...fwd.programs[0]!, name: "fwd" }] };
    const seed = () => {
      const maps = instantiateMaps(object);
      expect(maps[9]!.update(u32leBytes(0), u32leBytes(1), 0)).toBe(0);
      expect(maps[14]!.update(u32leBytes(2), u32leBytes(7), 0)).toBe(0);
      return maps;
    };
    const frame = Uint8Array.from({ length: 60 }, (_, i) => i);
    const ref = runXdp(object, frame, seed(), newHostState(), { ingressIfindex: 1, rxQueueIndex: 0 }, { program: 0 });
    expect(ref.r0).toBe(4n);
    expect(ref.redirect?.ifindex).toBe(7);
    const got = fpgaBackend.runXdp!({ object, program: 0, frames: [frame], ifindex: 1, maxSteps: 10_000, maps: seed() });
    expect(got.packets[0]!.r0).toBe(ref.r0);
    expect(got.packets[0]!.redirect?.ifindex).toBe(7);
  });
});

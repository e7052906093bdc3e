// The resource estimate in every fpga manifest (backends/fpga/resources.ts): block RAMs
// from the engine's memory shapes, per vendor primitive.
import { describe, expect, it } from "vitest";
import { BLOCK_RAMS, blocksFor, engineMemories, memoryBlocks, resourceEstimate } from "../../../backends/fpga/resources.js";

describe("fpga resource estimate", () => {
  it("picks the best aspect ratio of each block RAM", () => {
    // rows: vendor, depth, width, blocks
    const rows: [string, number, number, number][] = [
      ["ecp5", 4096, 64, 16], // 512 x 36 twice per 512 rows, or 4096 x 4 sixteen times: 16 either way
      ["ecp5", 1024, 8, 1], // one 2048 x 9
      ["ecp5", 8192, 8, 4], // 2048 x 9, four deep
      ["ice40", 1024, 8, 2], // 512 x 8 twice
      ["ice40", 256, 16, 1],
      ["xilinx", 512, 64, 1], // 512 x 72 simple dual port
      ["xilinx", 8192, 8, 2], // 4096 x 9, twice
      ["xilinx", 1, 1, 1],
    ];
    for (const [vendor, depth, width, blocks] of rows) expect(blocksFor(BLOCK_RAMS[vendor]!, depth, width), `${vendor} ${depth}x${width}`).toBe(blocks);
  });
  it("gives the two-read-port ROM the true-dual-port shapes, or a copy per read port", () => {
    const rom = { name: "rom", instance: "imem", depth: 256, width: 64, banks: 1, readPorts: 2 } as const;
    // ECP5: 1024 x 18 in dual-port mode, four wide (yosys 0.23 maps the load balancer's 256-slot ROM to 4 DP16KD)
    expect(memoryBlocks(BLOCK_RAMS["ecp5"]!, rom)).toBe(4);
    expect(memoryBlocks(BLOCK_RAMS["xilinx"]!, rom)).toBe(2); // 1024 x 36, twice
    expect(memoryBlocks(BLOCK_RAMS["ice40"]!, rom)).toBe(2 * 4); // no dual read: 256 x 16 four wide, copied
  });
  it("lists the ROM, the data memory and the map memory, sized by the parameters", () => {
    const mems = engineMemories({ IMEM_AW: 12, PKT_AW: 12, MAP_AW: 16 });
    expect(mems.map((m) => [m.depth, m.width, m.banks])).toEqual([[4096, 64, 1], [1024, 8, 8], [8192, 8, 8]]);
    const est = resourceEstimate({ IMEM_AW: 12, PKT_AW: 12, MAP_AW: 16 }) as { memory_bits: number; block_rams: Record<string, { count: number }> };
    expect(est.memory_bits).toBe(4096 * 64 + 8192 * 8 + 65536 * 8);
    // ECP5: 16 (ROM) + 8 (data) + 64 (maps: 32, copied for the second read port); yosys 0.23's synth_ecp5
    // gave 32 before the map memory grew from 16 to 64 KiB (16 + 8 + 8), 56 before its second read port.
    expect(est.block_rams["ecp5"]!.count).toBe(88);
  });
  it("a 4-lane ROM is a bundle of 256 bits a row, read once (lddw's halves share the row)", () => {
    const [rom] = engineMemories({ IMEM_AW: 8, PKT_AW: 12, MAP_AW: 16, LANES: 4 });
    expect(rom).toMatchObject({ depth: 256, width: 256, banks: 1, readPorts: 1 });
    expect(memoryBlocks(BLOCK_RAMS["ecp5"]!, rom!)).toBe(8); // 512 x 36, eight wide
    expect(memoryBlocks(BLOCK_RAMS["xilinx"]!, rom!)).toBe(4); // 512 x 72, four wide
  });
});

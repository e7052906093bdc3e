// The resource estimate of an fpga bundle (manifest.json `resources.estimate`): what the
// engine's memories need, from its parameters alone, so that every build says it without
// running synthesis. The memories are most of a device's block RAM budget and the part
// that grows with the program (ROM depth) and its maps (MAP_AW); the logic (LUTs,
// flip-flops, DSPs) hardly depends on the program and is measured by yosys on request
// (`bpfoff build --synth`, synth.ts, recorded in `resources.synth`).
//
// A memory of depth D and width W takes, on a block RAM with aspect ratios (d_i, w_i),
// min_i ceil(D / d_i) * ceil(W / w_i) blocks: the mapping yosys's memory_bram pass picks for
// these single-clock memories (checked against synth_ecp5 in test/backends/fpga/synth.test.ts).
// A memory with two read ports (the ROM reads slot and slot + 1) needs the primitive's
// true-dual-port mode, whose widest shapes are narrower than its simple-dual-port ones
// (ECP5: 1024 x 18, not 512 x 36), or a copy per read port where it has none (iCE40).

/** One memory of bpf_engine: `banks` identical RAMs of depth x width bits. */
export interface EngineMemory {
  readonly name: string;
  /** Instance path in bpf_engine and the module it instantiates. */
  readonly instance: string;
  readonly depth: number;
  readonly width: number;
  readonly banks: number;
  /** Read ports of each bank (its write port aside). */
  readonly readPorts: 1 | 2;
  /** Written while running: a block RAM's two ports then serve the write and one read, so a second read port takes a copy. */
  readonly written?: boolean;
}

/** The parameters that size the memories (bpf_engine's, as the bundle's top.v sets them). */
export interface EngineSizing {
  readonly IMEM_AW: number;
  readonly PKT_AW: number;
  readonly MAP_AW: number;
  /** Slots per bundle (a ROM row of 64 x LANES bits); absent: 1. */
  readonly LANES?: number;
}

/** bpf_engine's memories (backends/fpga/rtl/bpf_engine.v, bpf_imem.v, bpf_dmem.v). */
export function engineMemories(p: EngineSizing): EngineMemory[] {
  return [
    // One bundle a row, 64 bits a lane. One lane: two read ports (slot, slot + 1, for lddw)
    // fit one true dual-port RAM; more lanes keep lddw in one row and read it once.
    { name: "program ROM", instance: "imem (bpf_imem)", depth: 2 ** p.IMEM_AW, width: 64 * (p.LANES ?? 1), banks: 1, readPorts: (p.LANES ?? 1) === 1 ? 2 : 1 },
    // Stack frames (4 KiB) and the packet buffer in one bpf_dmem of 2**(PKT_AW+1) bytes,
    // eight byte-wide banks so that any 1-8 byte access at any alignment takes one cycle;
    // on more lanes a second read port for lane 1's loads.
    { name: "stack and packet buffer", instance: "dmem (bpf_dmem)", depth: 2 ** (p.PKT_AW + 1 - 3), width: 8, banks: 8, ...((p.LANES ?? 1) > 1 ? { readPorts: 2, written: true } : { readPorts: 1 }) },
    // Map values, hash slots and headers: a second bpf_dmem of 2**MAP_AW bytes, with a
    // second read port (a hash probe reads a slot's meta word and key word together; lane
    // 1's loads of map values).
    { name: "map memory", instance: "mmem (bpf_dmem)", depth: 2 ** (p.MAP_AW - 3), width: 8, banks: 8, readPorts: 2, written: true },
  ];
}

/** A vendor's block RAM: its primitive and the depth x width shapes one block can take. */
interface BlockRam {
  readonly primitive: string;
  readonly bits: number;
  readonly shapes: readonly (readonly [depth: number, width: number])[];
  /** The shapes of its true-dual-port mode (two read ports); none: a copy per read port. */
  readonly dualPortShapes?: readonly (readonly [depth: number, width: number])[];
}

/** The block RAMs of the vendor mappings `--synth` offers (the vendors' primitive guides). */
export const BLOCK_RAMS: Readonly<Record<string, BlockRam>> = {
  // Lattice ECP5 DP16KD: 18 Kbit, 16K x 1 ... 512 x 36 (pseudo dual port).
  ecp5: { primitive: "DP16KD", bits: 18432, shapes: [[16384, 1], [8192, 2], [4096, 4], [2048, 9], [1024, 18], [512, 36]], dualPortShapes: [[16384, 1], [8192, 2], [4096, 4], [2048, 9], [1024, 18]] },
  // Lattice iCE40 SB_RAM40_4K: 4 Kbit, 2K x 2 ... 256 x 16.
  ice40: { primitive: "SB_RAM40_4K", bits: 4096, shapes: [[2048, 2], [1024, 4], [512, 8], [256, 16]] },
  // Xilinx 7-series RAMB36E1: 36 Kbit, 32K x 1 ... 512 x 72 (simple dual port).
  xilinx: { primitive: "RAMB36E1", bits: 36864, shapes: [[32768, 1], [16384, 2], [8192, 4], [4096, 9], [2048, 18], [1024, 36], [512, 72]], dualPortShapes: [[32768, 1], [16384, 2], [8192, 4], [4096, 9], [2048, 18], [1024, 36]] },
};

/** Blocks of `ram` for one bank of depth x width bits with one read port. */
export function blocksFor(ram: BlockRam, depth: number, width: number): number {
  return Math.min(...ram.shapes.map(([d, w]) => Math.ceil(depth / d) * Math.ceil(width / w)));
}

/** Blocks of `ram` for a whole memory: every bank, in dual-port mode or copied for a second read port. */
export function memoryBlocks(ram: BlockRam, m: EngineMemory): number {
  if (m.readPorts === 1) return m.banks * blocksFor(ram, m.depth, m.width);
  if (ram.dualPortShapes && !m.written) return m.banks * blocksFor({ ...ram, shapes: ram.dualPortShapes }, m.depth, m.width);
  return m.banks * 2 * blocksFor(ram, m.depth, m.width);
}

/** manifest.json `resources.estimate`. */
export function resourceEstimate(p: EngineSizing): Record<string, unknown> {
  const memories = engineMemories(p);
  const bits = memories.reduce((n, m) => n + m.depth * m.width * m.banks, 0);
  const blockRams = Object.fromEntries(
    Object.entries(BLOCK_RAMS).map(([vendor, ram]) => [vendor, { primitive: ram.primitive, count: memories.reduce((n, m) => n + memoryBlocks(ram, m), 0) }]),
  );
  return {
    memories: memories.map((m) => ({ name: m.name, instance: m.instance, depth: m.depth, width: m.width, banks: m.banks, read_ports: m.readPorts, bits: m.depth * m.width * m.banks })),
    memory_bits: bits,
    block_rams: blockRams,
    logic: "measured by `bpfoff build --target fpga --synth [mapping]` (yosys), recorded in resources.synth",
  };
}

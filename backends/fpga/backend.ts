// The `fpga` target: bpfoff's multi-lane Verilog BPF engine (docs/fpga-engine.md). A
// bundle holds everything a hardware engineer needs to simulate the program in Verilator
// or hand it to synthesis:
//   rtl/*.v     the engine, copied from backends/fpga/rtl
//   prog.hex    the program ROM image ($readmemh: one bundle of LANES slots per line, sim.ts bundleImage)
//   prog.bpf.hex the program's BPF slots before scheduling (one a line; bpfoff sim reads them)
//   prog.lst    the schedule: per bundle, each lane's slot and its original instruction index
//   maps/*.hex  per map: its initial region, values in their slots ($readmemh rows, maps.ts)
//   top.v       bpfoff_top: bpf_engine sized to the program, ROM from prog.hex
//   tb_top.cpp  a Verilator testbench that runs prog.hex once (raw, or XDP over one frame)
//   Makefile    the verilator commands (make sim, make lint)
// top.v, tb_top.cpp and the Makefile come from Handlebars templates in
// firmware-templates/fpga/. Code generation is scheduling (sched/): the program's BPF
// instructions, fused onto the engine's extensions and packed into bundles.
// `bpfoff run --target fpga` runs a raw or XDP program on the cached Verilator model
// (sim.ts), maps included (maps.ts: layout, table, image in and out).
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import type { Backend, CompileInput, CompileOutput, RawRunRequest, RawRunResult, XdpRunRequest, XdpRunResult } from "../common/backend.js";
import { BPFOFF_VERSION } from "../common/version.js";
import { formOf, isLddw, type Insn } from "../../ir/bpf/insn.js";
import { diag, DiagnosticError, fail, type Diagnostic } from "../../ir/diag/diag.js";
import { checkOffload } from "../../offload-hooks/check.js";
import { loadTarget } from "../../offload-hooks/descriptor.js";
import { instantiateMaps } from "../../runtime/interp/run.js";
import type { BpfMap } from "../../runtime/maps/map.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { buildEngineModel, bundleImage, DEFAULT_LANES, ENGINE_ERRORS, INPUT_BYTES, romImage, rtlFiles, runEngine, XDP_MAX_FRAME, type EngineModel, type EngineResult } from "./sim.js";
import { bundleRom, romFigures, romListing } from "./sched/rom.js";
import { DATAFLOW_FUSIONS, type DataflowFusion } from "./sched/fuse.js";
import { SCHED_PASSES, type SchedPass } from "./sched/schedule.js";
import { resourceEstimate } from "./resources.js";
import { hexRows, MAP_AW, mapLayout, mapProblems, mapsFile, mapSlots, storeMapMemory, tableWord, type MapLayout } from "./maps.js";
import { MAP_KIND_CODES, programProblems, romLayout, slotHandleProblems, tableLines, type RomLayout } from "./programs.js";
import { ROM_SLOTS } from "./sim.js";

/** The files of an fpga bundle, by role. */
export const FPGA_FILES = { rom: "prog.hex", bpf: "prog.bpf.hex", listing: "prog.lst", top: "top.v", testbench: "tb_top.cpp", makefile: "Makefile", rtlDir: "rtl", mapsDir: "maps" } as const;

/** The wrapper's module name (top.v), also the Verilator model's class (Vbpfoff_top). */
export const TOP_MODULE = "bpfoff_top";

/** bpf_engine parameters a bundle fixes, and the engine's fixed sizes (docs/fpga-engine.md). */
export const ENGINE = {
  /** Input buffer of 2**PKT_AW bytes: bpf_engine needs >= 12, since its host rows put the 4 KiB of stack below the buffer. */
  PKT_AW: 12,
  /** get_prandom_u32 seed: the interpreter's default (newHostState), so that both give the same numbers. */
  SEED: 0x2545f491,
  /** The smallest ROM: bpf_imem's write address is IMEM_AW bits wide, so at least one. */
  MIN_IMEM_AW: 1,
  /** Eight frames of 512 bytes (RFC 9669 stack per frame; the interpreter's MAX_CALL_DEPTH). */
  STACK_BYTES: 8 * 512,
  CALL_DEPTH: 8,
} as const;

/**
 * The engine's lanes: bpf_engine's LANES (1, 2 or 4). BPFOFF_FPGA_LANES chooses another
 * configuration for measurements (bench/fpga/examples.mjs runs 1 and 4); a build records
 * its lanes in the manifest, and its top.v sets them.
 */
export function engineLanes(): number {
  const v = process.env["BPFOFF_FPGA_LANES"];
  if (v === undefined || v === "") return DEFAULT_LANES;
  if (v !== "1" && v !== "2" && v !== "4") return fail("cli-usage", {}, [`BPFOFF_FPGA_LANES=${v}: the engine is built with 1, 2 or 4 lanes`]);
  return Number(v);
}

/** A comma list of `names` (or "none") from environment variable `name`; undefined when unset: all of them. */
function pickedFromEnv<T extends string>(name: string, names: readonly T[]): readonly T[] | undefined {
  const v = process.env[name];
  if (v === undefined || v === "") return undefined;
  const picked = v === "none" ? [] : v.split(",");
  const bad = picked.find((k) => !(names as readonly string[]).includes(k));
  if (bad !== undefined) return fail("cli-usage", {}, [`${name}=${v}: ${bad} is not one of ${names.join(", ")} (or none)`]);
  return picked as T[];
}

/**
 * The dataflow fusions the scheduler makes (sched/fuse.ts): all by default;
 * BPFOFF_FPGA_FUSIONS (a comma list of ctx_read, ldx_wide, jcc_add, copy_wide, or "none") picks some,
 * so that the bench measures each extension on its own.
 */
export const engineFusions = (): readonly DataflowFusion[] | undefined => pickedFromEnv("BPFOFF_FPGA_FUSIONS", DATAFLOW_FUSIONS);

/** BPFOFF_FPGA_PASSES=rename,tail_dup (or none): the scheduler's superblock passes, for measurements (default: all). */
export const enginePasses = (): readonly SchedPass[] | undefined => pickedFromEnv("BPFOFF_FPGA_PASSES", SCHED_PASSES);

/** enum xdp_action: the verdict that goes with a redirect target. */
const XDP_REDIRECT = 4n;

/** Cycle budget per interpreter step: the 64-cycle bit-serial divider, plus pipeline slack. */
const CYCLES_PER_STEP = 70;
/** The generated testbench's cycle limit: the interpreter's default --max-steps worth. */
const TESTBENCH_MAX_CYCLES = 10_000_000 * CYCLES_PER_STEP;

/**
 * The package root: compiled code runs from dist/backends/fpga/, where tsc copies no
 * templates, so they are found beside the package.json above this file (as
 * offload-hooks/descriptor.ts finds its data files).
 */
function templatesDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "firmware-templates/fpga/top.v.hbs"))) return join(dir, "firmware-templates/fpga");
    if (dirname(dir) === dir) return fail("io-read", {}, ["firmware-templates/fpga/top.v.hbs", "not found above the bpfoff installation"]);
  }
}

/** Generated file <- its template in firmware-templates/fpga/. */
const TEMPLATES: readonly (readonly [file: string, template: string])[] = [
  [FPGA_FILES.top, "top.v.hbs"],
  [FPGA_FILES.testbench, "tb_top.cpp.hbs"],
  [FPGA_FILES.makefile, "Makefile.hbs"],
];

/** log2 of the ROM depth: the next power of two at or above the program's slot count. */
export function romAddressBits(slots: number): number {
  let aw: number = ENGINE.MIN_IMEM_AW;
  while (2 ** aw < slots) aw++;
  return aw;
}

/**
 * What the engine cannot execute although the offload check allows it: lddw with a
 * pseudo source other than 1 (map handle) and 2 (global data: an array map's value; BTF
 * variables, functions; the engine would fault on it, error 2), global data in a map that
 * is not an array, a map reference past the object's maps, and maps the engine's map
 * memory and table cannot hold (backends/fpga/maps.ts).
 */
function engineProblems(object: BpfObject, rom: RomLayout): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const prog of rom.programs) {
    const slots = object.programs[prog.index]!.slots;
    // the other programs of a tail-call ROM: the diagnostic says which one
    const notes = prog.base === 0 ? [] : [`in program ${prog.name}`];
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if (!isLddw(s)) continue;
      if (s.src === 1 || s.src === 2) {
        const map = object.maps[s.imm];
        if (!map || s.imm < 0) out.push(diag("run-map", { insn: i }, [s.imm, object.maps.length], notes));
        else if (s.src === 2 && map.kind !== "array") out.push(diag("offload-unsupported", { insn: i }, ["fpga", `lddw map_value of map '${map.name}' of kind ${map.kind} (the engine has global data in array maps only)`], notes));
      } else if (s.src !== 0) out.push(diag("offload-unsupported", { insn: i }, ["fpga", `lddw with pseudo source ${s.src} (the engine has map handles, src 1, and map values, src 2, only)`], notes));
      i++;
    }
    for (const [i, why] of slotHandleProblems(slots, object.maps)) out.push(diag("offload-unsupported", { insn: i }, ["fpga", why], notes));
  }
  for (const p of [...mapProblems(object.maps), ...programProblems(object, ROM_SLOTS)]) out.push(diag("offload-unsupported", {}, ["fpga", p]));
  return out;
}

/** The offload check on every program of the ROM (object-wide findings, such as maps, once). */
function offloadProblems(object: BpfObject, rom: RomLayout, type: "raw" | "xdp"): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const prog of rom.programs) {
    for (const d of checkOffload(object, prog.index, type, loadTarget("fpga"))) {
      const key = JSON.stringify([d.code, d.message, d.loc.insn === undefined ? undefined : prog.index, d.loc.insn]);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(prog.base === 0 || d.loc.insn === undefined ? d : { ...d, notes: [...d.notes, `in program ${prog.name}`] });
    }
  }
  return out;
}

/** The live maps a run starts from: the request's, or fresh ones (initial contents included). */
function runMaps(object: BpfObject, given: readonly BpfMap[] | undefined): { layout: MapLayout; maps: readonly BpfMap[] } | undefined {
  if (object.maps.length === 0) return undefined;
  return { layout: mapLayout(object.maps), maps: given ?? instantiateMaps(object) };
}

/** Helper numbers the program calls (src 0 calls), sorted. */
function helpersUsed(slots: readonly Insn[]): number[] {
  const ids = new Set<number>();
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (isLddw(s)) {
      i++;
      continue;
    }
    if (formOf(s)?.shape === "call" && s.src === 0) ids.add(s.imm);
  }
  return [...ids].sort((a, b) => a - b);
}

/** A file name safe inside a one-line comment of the generated files. */
const commentSafe = (text: string): string => text.replace(/[^\x20-\x7e]/g, "?");

/** The offload check, the engine's own limits and the seed, for a run of either type; the ROM to run. */
function checkRun(request: RawRunRequest | XdpRunRequest, type: "raw" | "xdp"): RomLayout {
  const rom = romLayout(request.object, request.program);
  const problems = [...offloadProblems(request.object, rom, type), ...engineProblems(request.object, rom)];
  if (problems.length) throw new DiagnosticError(problems);
  if (request.seed !== undefined && request.seed >>> 0 !== ENGINE.SEED) {
    fail("cli-usage", {}, [`--target fpga: the engine's get_prandom_u32 seed is fixed when its model is built (SEED = ${ENGINE.SEED}); leave --seed out or give --seed ${ENGINE.SEED}`]);
  }
  return rom;
}

/** The testbench's MAPS file: the map table and memory, the map kinds and the program table. */
function tablesFile(object: BpfObject, rom: RomLayout, maps: { layout: MapLayout; maps: readonly BpfMap[] }): string {
  return mapsFile(maps.layout, maps.maps) + tableLines(rom, object.maps);
}

/** The cached Verilator model; trace: the second configuration, built with --trace for --vcd. */
function engineModel(trace = false): EngineModel {
  const lanes = engineLanes();
  try {
    return buildEngineModel({ jobs: 2, trace, lanes });
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    return fail("cli-usage", {}, [`--target fpga runs the engine in Verilator 5, whose model could not be built: ${why}`]);
  }
}

/** A fault or a timeout as the interpreter's error would read; notes say which packet. */
function checkResult(r: EngineResult, maxCycles: number, notes: string[] = []): void {
  if (r.status === "error") fail("run-engine-fault", { insn: r.faultPc }, ["fpga", ENGINE_ERRORS[r.errCode]?.name ?? "unknown error", r.errCode], notes);
  if (r.status === "timeout") fail("run-engine-timeout", {}, ["fpga", maxCycles], notes);
}

export const fpgaBackend: Backend = {
  name: "fpga",
  description: "bpfoff's multi-lane (VLIW) Verilog BPF engine: RTL, scheduled program ROM image, top-level wrapper and Verilator testbench",
  compile(input: CompileInput): CompileOutput {
    const program = input.object.programs[input.program]!;
    const slots = program.slots;
    // With a prog_array the ROM holds every program of the object (programs.ts); the
    // pipeline's offload check covered the entry program, this covers the others.
    const rom = romLayout(input.object, input.program);
    const problems = [...(rom.tailCalls ? offloadProblems(input.object, rom, input.programType).filter((d) => d.notes.some((n) => n.startsWith("in program "))) : []), ...engineProblems(input.object, rom)];
    if (problems.length) throw new DiagnosticError(problems);
    const lanes = engineLanes();
    const brom = bundleRom(rom, lanes, { xdp: input.programType === "xdp", fusions: engineFusions(), passes: enginePasses(), mapValueSizes: input.object.maps.map((m) => m.valueSize) });
    const bundles = brom.layout.slots.length / lanes;
    const imemAw = romAddressBits(bundles);
    const romDepth = 2 ** imemAw;
    const packetBytes = 2 ** ENGINE.PKT_AW;
    const rtl = rtlFiles().map((f) => [`${FPGA_FILES.rtlDir}/${basename(f)}`, readFileSync(f)] as const);
    // Maps: one $readmemh file per map (its initial region: values in their slots, from the
    // map image; hash maps placed with the engine's hash), loaded by top.v into the map value memory after reset.
    const layout = mapLayout(input.object.maps);
    const live = input.object.maps.length ? instantiateMaps(input.object) : [];
    const used = new Set<string>();
    const maps = layout.maps.map((p, index) => {
      let file = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$/.test(p.def.name) ? `${p.def.name}.hex` : `map${index}.hex`;
      if (used.has(file)) file = `map${index}.hex`;
      used.add(file);
      const slotBytes = 2 ** p.shift;
      return {
        index, name: commentSafe(p.def.name), file, maxEntries: p.def.maxEntries, valueSize: p.def.valueSize, slotBytes,
        firstRow: p.start / 8, lastRow: (p.start + p.bytes) / 8 - 1, tableWord: tableWord(p).toString(16).padStart(16, "0"),
        data: hexRows(mapSlots(p, live[index]!)), base: p.base,
      };
    });
    const mapRows = layout.bytes / 8;
    // The loader's table phase writes the map table, the map kinds and the program table, one index a cycle.
    const programs = rom.tailCalls ? rom.programs : [];
    const bundlePrograms = rom.tailCalls ? brom.layout.programs : [];
    const tabCount = Math.max(maps.length, ...programs.map((p) => p.index + 1));
    const view = {
      hasMaps: maps.length > 0,
      maps,
      tabCount,
      mapKinds: input.object.maps.flatMap((m, index) => (MAP_KIND_CODES[m.kind] === undefined ? [] : [{ index, kind: m.kind, code: MAP_KIND_CODES[m.kind] }])),
      programs: bundlePrograms.map((p) => ({ ...p, name: commentSafe(p.name) })),
      hasPrograms: programs.length > 0,
      romSlots: rom.slots.length,
      bundles,
      entryBundles: brom.layout.entryLen,
      lanes,
      progAddrBits: imemAw + Math.log2(lanes),
      imemAwPlus1: imemAw + 1,
      mapAw: MAP_AW,
      mapAwMsb: MAP_AW - 1,
      mapRowMsb: MAP_AW - 4,
      mapRows,
      lastRowLiteral: `${MAP_AW - 3}'d${Math.max(0, mapRows - 1)}`,
      rowBits: Math.max(1, Math.ceil(Math.log2(Math.max(1, mapRows)))),
      version: BPFOFF_VERSION,
      program: commentSafe(program.name),
      source: commentSafe(input.source.name),
      instructions: slots.length,
      romDepth,
      imemAw,
      pktAw: ENGINE.PKT_AW,
      packetBytes,
      hostRowMsb: ENGINE.PKT_AW - 3,
      inputRow: 2 ** (ENGINE.PKT_AW - 3),
      seed: ENGINE.SEED.toString(16).padStart(8, "0"),
      maxCycles: TESTBENCH_MAX_CYCLES,
      programType: input.programType,
      xdp: input.programType === "xdp",
      rtl: rtl.map(([path]) => path),
    };
    const dir = templatesDir();
    const generated = TEMPLATES.map(([file, template]) => {
      const render = Handlebars.compile(readFileSync(join(dir, template), "utf8"), { noEscape: true, strict: true });
      return [file, render(view)] as const;
    });
    const clockMhz = loadTarget("fpga").timing?.["clock_mhz"];
    return {
      files: [
        [FPGA_FILES.rom, bundleImage(brom.layout.slots, lanes)],
        [FPGA_FILES.bpf, romImage(rom.slots)],
        [FPGA_FILES.listing, romListing(brom)],
        ...maps.map((m) => [`${FPGA_FILES.mapsDir}/${m.file}`, m.data] as const),
        ...generated,
        ...rtl.map(([path, data]) => [path, new Uint8Array(data)] as const),
      ],
      manifest: {
        entry_points: [{ name: program.name, file: FPGA_FILES.top, symbol: TOP_MODULE, offset: 0 }],
        resources: {
          instructions: slots.length,
          rom_depth: romDepth,
          rom_image: FPGA_FILES.rom,
          bpf_image: FPGA_FILES.bpf,
          listing: FPGA_FILES.listing,
          schedule: { lanes, ...romFigures(brom) },
          // tail calls: every program of the object in the ROM, the entry program first
          // (base and length in BPF slots of prog.bpf.hex; bundle_base and bundles in the ROM)
          ...(programs.length ? { rom_slots: rom.slots.length, programs: programs.map((p, k) => ({ name: p.name, index: p.index, base: p.base, length: p.len, bundle_base: bundlePrograms[k]!.base, bundles: bundlePrograms[k]!.len })) } : {}),
          helpers: helpersUsed(slots),
          maps: maps.map((m) => ({ name: m.name, file: `${FPGA_FILES.mapsDir}/${m.file}`, base: m.base, slot_bytes: m.slotBytes, table_word: `0x${m.tableWord}` })),
          engine: {
            module: "bpf_engine",
            lanes,
            parameters: { IMEM_AW: imemAw, PKT_AW: ENGINE.PKT_AW, SEED: ENGINE.SEED, MAP_AW, LANES: lanes },
            map_memory_bytes: 2 ** MAP_AW,
            input_buffer_bytes: packetBytes,
            stack_bytes: ENGINE.STACK_BYTES,
            call_depth: ENGINE.CALL_DEPTH,
          },
          estimate: resourceEstimate({ IMEM_AW: imemAw, PKT_AW: ENGINE.PKT_AW, MAP_AW, LANES: lanes }),
          ...(clockMhz === undefined ? {} : { timing: { clock_mhz: clockMhz } }),
        },
      },
    };
  },

  runRaw(request: RawRunRequest): RawRunResult {
    const rom = checkRun(request, "raw");
    if (request.mem && request.mem.length > INPUT_BYTES) fail("cli-usage", {}, [`--mem has ${request.mem.length} bytes; the engine's input buffer holds ${INPUT_BYTES}`]);
    const model = engineModel();
    const brom = bundleRom(rom, model.lanes);
    const maxCycles = Math.min(Number.MAX_SAFE_INTEGER, request.maxSteps * CYCLES_PER_STEP);
    const maps = runMaps(request.object, request.maps);
    const [r] = runEngine(model, [{
      name: "run", slots: rom.slots, rom: brom, mem: request.mem, maxCycles,
      ...(maps ? { maps: tablesFile(request.object, brom.layout, maps), mapBytes: maps.layout.bytes } : {}),
    }]);
    checkResult(r!, maxCycles);
    if (maps) storeMapMemory(maps.layout, r!.maps!, maps.maps);
    return { r0: r!.r0, stats: `fpga: ${r!.cycles} cycles, ${r!.retired} instructions retired` };
  },

  runXdp(request: XdpRunRequest): XdpRunResult {
    const rom = checkRun(request, "xdp");
    request.frames.forEach((f, i) => {
      if (f.length > XDP_MAX_FRAME) fail("cli-usage", {}, [`packet ${i + 1} has ${f.length} bytes; the engine's buffer takes frames of at most ${XDP_MAX_FRAME} (256 bytes of headroom and of tailroom)`]);
    });
    const model = engineModel(request.vcd !== undefined);
    const brom = bundleRom(rom, model.lanes, { xdp: true, fusions: engineFusions(), passes: enginePasses(), mapValueSizes: request.object.maps.map((m) => m.valueSize) });
    const maxCycles = Math.min(Number.MAX_SAFE_INTEGER, request.maxSteps * CYCLES_PER_STEP);
    // One batch, no reset between packets: the helper unit's clock and random numbers go
    // on from packet to packet, as the interpreter's host state does. Frames go in through
    // the engine's receive stream.
    // Maps go in before the first packet and stay in the engine's map memory from packet
    // to packet; they are read back after the last.
    const maps = runMaps(request.object, request.maps);
    const last = request.frames.length - 1;
    const results = runEngine(model, request.frames.map((frame, i) => ({
      name: `packet${i + 1}`, slots: rom.slots, rom: brom, mem: frame, maxCycles, xdp: { ifindex: request.ifindex, keepState: i > 0, stream: true },
      ...(maps && i === 0 ? { maps: tablesFile(request.object, brom.layout, maps) } : {}),
      ...(maps && i === last ? { mapBytes: maps.layout.bytes } : {}),
    })), request.vcd === undefined ? {} : { vcd: request.vcd });
    results.forEach((r, i) => checkResult(r, maxCycles, [`on packet ${i + 1}`]));
    if (maps && results.length > 0) storeMapMemory(maps.layout, results[last]!.maps!, maps.maps);
    return {
      // The run's redirect target (bpf_redirect or bpf_redirect_map), reported with the XDP_REDIRECT verdict only, as runXdp does.
      packets: results.map((r) => ({ r0: r.r0, packet: r.mem, ...(r.r0 === XDP_REDIRECT && r.redirect !== undefined ? { redirect: { ifindex: r.redirect } } : {}) })),
      stats: results.map((r, i) => `fpga: packet ${i + 1}: ${r.cycles} cycles, ${r.retired} instructions retired`),
    };
  },
};

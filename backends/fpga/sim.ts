// Running programs on the Verilog BPF engine in Verilator (docs/fpga-engine.md).
// The model is built once per engine configuration (the RTL, the testbench and the
// Verilator version, hashed) and cached under .cache/fpga/<hash>/; every program after
// that is a line in a batch file, so a thousand programs cost one build.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeSlots } from "../../ir/bpf/codec.js";
import type { Insn } from "../../ir/bpf/insn.js";
import { faultSource, singleProgramRom, type BundleRom } from "./sched/rom.js";

/** BPF address of the input memory / packet buffer (region 1 of the engine's address map). */
export const INPUT_BASE = 1n << 32n;
/** Bytes of the engine's input buffer (PKT_AW = 12) and slots of its ROM (IMEM_AW = 12). */
export const INPUT_BYTES = 4096;
export const ROM_SLOTS = 4096;
/** bpf_engine's default LANES: the configuration bundles are built for and tests run. */
export const DEFAULT_LANES = 4;
/** XDP runs: the frame goes at this buffer offset (XDP_PACKET_HEADROOM), and as much room is kept behind it. */
export const XDP_BUFFER_HEADROOM = 256;
/** The longest frame an XDP run takes: the buffer less headroom and tailroom. */
export const XDP_MAX_FRAME = INPUT_BYTES - 2 * XDP_BUFFER_HEADROOM;

/** err_code of bpf_core, with the interpreter diagnostics each one corresponds to. */
export const ENGINE_ERRORS: Readonly<Record<number, { name: string; diags: readonly string[] }>> = {
  1: { name: "out-of-bounds access", diags: ["run-mem", "run-readonly"] },
  2: { name: "unsupported instruction", diags: ["enc-opcode", "run-helper-fail"] },
  3: { name: "unknown helper", diags: ["run-helper", "run-callx"] },
  4: { name: "call depth exceeded", diags: ["run-depth"] },
  5: { name: "pc past the last slot", diags: ["run-fell-off"] },
  6: { name: "not a map", diags: ["run-map", "run-helper-fail"] },
  7: { name: "tail call to a program the ROM lacks", diags: ["run-tail-call"] },
};

/** The folder holding backends/fpga/rtl (the source tree, also when running from dist/). */
function sourceRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "backends/fpga/rtl/bpf_engine.v"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find backends/fpga/rtl above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const ENGINE_ROOT = sourceRoot();
export const RTL_DIR = join(ENGINE_ROOT, "backends/fpga/rtl");
export const TB_FILE = join(ENGINE_ROOT, "backends/fpga/sim/tb.cpp");

/** The engine's Verilog files, in a fixed order. */
export function rtlFiles(): string[] {
  return readdirSync(RTL_DIR).filter((f) => f.endsWith(".v")).sort().map((f) => join(RTL_DIR, f));
}

/**
 * One 64-bit word per slot (the slot's bytes as a little-endian u64), 16 hex digits a
 * line: the testbench's ROM file (it writes slot by slot through prog_addr).
 */
export function romImage(slots: readonly Insn[], entryLen?: number): string {
  // Several programs (tail calls) or several lanes: the testbench's prog_len is the entry program's bundles.
  const head = entryLen === undefined || entryLen === slots.length ? "" : `// entry ${entryLen}\n`;
  return head + slotWords(slots).map((w) => w.toString(16).padStart(16, "0") + "\n").join("");
}

function slotWords(slots: readonly Insn[]): bigint[] {
  const bytes = encodeSlots(slots);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return slots.map((_, i) => view.getBigUint64(8 * i, true));
}

/** bpf_imem's $readmemh image (IMEM_INIT): one bundle a line, LANES x 16 hex digits, the last lane first. */
export function bundleImage(words: readonly Insn[], lanes: number): string {
  const w = slotWords(words);
  let out = "";
  for (let i = 0; i < w.length; i += lanes) out += w.slice(i, i + lanes).reverse().map((x) => x.toString(16).padStart(16, "0")).join("") + "\n";
  return out;
}

function toolVersion(cmd: string): string {
  const r = spawnSync(cmd, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : `${cmd} unavailable`;
}

/** Hash of everything the model depends on; the traced model (--trace) is a configuration of its own. */
export function engineHash(trace = false, lanes = DEFAULT_LANES): string {
  const h = createHash("sha256");
  if (trace) h.update("verilator --trace\0");
  if (lanes !== DEFAULT_LANES) h.update(`-GLANES=${lanes}\0`);
  for (const f of [...rtlFiles(), TB_FILE]) {
    h.update(f.slice(ENGINE_ROOT.length) + "\0");
    h.update(readFileSync(f));
  }
  h.update(toolVersion("verilator"));
  return h.digest("hex").slice(0, 16);
}

export interface EngineModel {
  readonly hash: string;
  readonly binary: string;
  /** bpf_engine's LANES in this build. */
  readonly lanes: number;
}

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/**
 * Builds the Verilator model of bpf_engine, or reuses the cached one. Concurrent callers
 * (vitest workers) take a lock directory so that only one of them compiles.
 */
export function buildEngineModel(opts: { cacheDir?: string; jobs?: number; trace?: boolean; lanes?: number } = {}): EngineModel {
  const cache = opts.cacheDir ?? join(ENGINE_ROOT, ".cache/fpga");
  const lanes = opts.lanes ?? DEFAULT_LANES;
  const hash = engineHash(opts.trace, lanes);
  const dir = join(cache, hash);
  const binary = join(dir, "Vbpf_engine_tb");
  if (existsSync(binary)) return { hash, binary, lanes };
  mkdirSync(cache, { recursive: true });
  const lock = join(cache, `${hash}.lock`);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(binary)) return { hash, binary, lanes };
      // A lock older than 30 minutes belongs to a build that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 30 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* the lock went away meanwhile */
      }
      sleep(500);
    }
  }
  try {
    if (existsSync(binary)) return { hash, binary, lanes };
    const work = `${dir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    const args = [
      "--cc", "--exe", "--build", "-j", String(opts.jobs ?? 2), "--Mdir", work, "-o", "Vbpf_engine_tb",
      "--top-module", "bpf_engine", "-Wno-fatal", "--x-assign", "0", "--x-initial", "0", `-GLANES=${lanes}`,
      // a waveform model only when asked (bpfoff sim --vcd): tracing slows every cycle
      ...(opts.trace ? ["--trace"] : []),
      ...rtlFiles(), TB_FILE,
    ];
    const r = spawnSync("verilator", args, { encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`verilator build failed (status ${r.status}):\n${r.stderr}\n${r.stdout}`.slice(0, 20_000));
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    return { hash, binary, lanes };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Map command opcodes of bpf_engine's ctl_op: the helper numbers. */
export const MAP_COMMAND_OPS = { lookup: 1, update: 2, delete: 3 } as const;
/** The longest key a map command carries (stack frame 7 from offset 0: an LPM trie's IPv6 key is 20 bytes). */
export const MAP_COMMAND_MAX_KEY = 24;
/** The longest value a map command carries: stack frame 7 from offset 24. */
export const MAP_COMMAND_MAX_VALUE = 512 - MAP_COMMAND_MAX_KEY;

/** One map command between runs (bpf_engine ctl_*), as the map API's lookup/update/delete. */
export interface MapCommand {
  readonly op: keyof typeof MAP_COMMAND_OPS;
  /** Map table index. */
  readonly map: number;
  readonly key: Uint8Array;
  /** update: the value (value_size bytes). */
  readonly value?: Uint8Array;
  readonly flags?: number;
  /**
   * A TCAM's update and delete: the entry is (key & mask, mask, priority), as the map API's
   * TcamMap.insert/remove (runtime/maps/tcam.ts); update inserts or overwrites it, delete
   * removes it. Both are required there; a TCAM lookup matches the key like a program's.
   */
  readonly tcam?: { readonly mask: Uint8Array; readonly priority: number };
  /** The map's value_size: a found value is read back with this many bytes. */
  readonly valueSize: number;
}

export interface MapCommandResult {
  readonly status: "done" | "error" | "timeout";
  readonly errCode: number;
  /** lookup: the value's address (0: not found); update/delete: the return code as a u64. */
  readonly r0: bigint;
  /** lookup that found the key: the value bytes. */
  readonly value?: Uint8Array;
}

export interface EngineCase {
  /** A name without white space (it is echoed in the result line). */
  readonly name: string;
  /** The program's BPF slots, scheduled for the model's lanes here (sched/rom.ts); ignored when rom is given. */
  readonly slots: readonly Insn[];
  /** A ROM scheduled already (several programs for tail calls: backends/fpga/backend.ts); its lanes must be the model's. */
  readonly rom?: BundleRom;
  /** Input memory; r1 = INPUT_BASE and r2 = its length unless given. Absent: r1 = r2 = 0. */
  readonly mem?: Uint8Array;
  readonly r1?: bigint;
  readonly r2?: bigint;
  readonly maxCycles?: number;
  /**
   * An XDP run: mem is the frame (at buffer offset 256), r1 = the xdp_md context, r1/r2
   * above are ignored. keepState: no reset before this case, so that the helper unit's
   * clock and random numbers continue from the case before (one packet stream). stream:
   * the frame goes in through the receive stream (rx_*) instead of the host port.
   */
  readonly xdp?: { readonly ifindex: number; readonly rxQueue?: number; readonly keepState?: boolean; readonly stream?: boolean };
  /**
   * Array maps (backends/fpga/maps.ts mapsFile): the map table and the map memory written
   * before the run; absent: both stay as the case before left them (a reset clears the
   * table). mapBytes: read this many bytes of the map memory back after the run.
   */
  readonly maps?: string;
  readonly mapBytes?: number;
  /**
   * No program: map commands run by the engine's map sequence while it is idle (slots,
   * mem and xdp are ignored). keepState: no reset before them (the maps and the table
   * stay as the case before left them, as between packets of one stream).
   */
  readonly control?: { readonly commands: readonly MapCommand[]; readonly keepState?: boolean };
}

export interface EngineResult {
  readonly name: string;
  readonly status: "done" | "error" | "timeout";
  /** err_code (ENGINE_ERRORS) and the original instruction index of the faulting slot (the bundle's, mapped back). */
  readonly errCode: number;
  readonly faultPc: number;
  /** The faulting program's first bundle. */
  readonly faultBase?: number;
  readonly r0: bigint;
  readonly cycles: number;
  readonly retired: number;
  /** The input memory after the run; XDP: the frame [data, data_end) after the run. */
  readonly mem: Uint8Array;
  /** The map memory's first mapBytes bytes after the run, when the case asked for them. */
  readonly maps?: Uint8Array;
  /** XDP: the ifindex of the run's last redirect (bpf_redirect with flags 0, or bpf_redirect_map that found its target); absent when it made none. */
  readonly redirect?: number;
  /** A control case: each command's result, in order. */
  readonly control?: readonly MapCommandResult[];
}

const RESULT_LINE = /^(\S+) status=(done|error|timeout) err=(\d+) pc=(\d+) base=(\d+) r0=([0-9a-f]+) cycles=(\d+) retired=(\d+) mem=([0-9a-f]*)(?: maps=([0-9a-f]*))?(?: redirect=(\d+))?(?: ctl=(\S*))?$/;

const CTL_ITEM = /^(d|e\d+|t):([0-9a-f]+)(?::([0-9a-f]*))?$/;

function parseControl(items: string): MapCommandResult[] {
  return items === "" ? [] : items.split(",").map((item) => {
    const m = CTL_ITEM.exec(item);
    if (!m) throw new Error(`unexpected map command result: ${item}`);
    const status = m[1] === "d" ? "done" : m[1] === "t" ? "timeout" : "error";
    return {
      status, errCode: status === "error" ? Number(m[1]!.slice(1)) : 0, r0: BigInt("0x" + m[2]),
      ...(m[3] === undefined ? {} : { value: Uint8Array.from(Buffer.from(m[3], "hex")) }),
    };
  });
}

export function parseResultLine(line: string): EngineResult {
  const m = RESULT_LINE.exec(line);
  if (!m) throw new Error(`unexpected testbench output: ${line}`);
  return {
    name: m[1]!, status: m[2] as EngineResult["status"], errCode: Number(m[3]), faultPc: Number(m[4]), faultBase: Number(m[5]),
    r0: BigInt("0x" + m[6]), cycles: Number(m[7]), retired: Number(m[8]),
    mem: Uint8Array.from(Buffer.from(m[9]!, "hex")),
    ...(m[10] === undefined ? {} : { maps: Uint8Array.from(Buffer.from(m[10], "hex")) }),
    ...(m[11] === undefined ? {} : { redirect: Number(m[11]) }),
    ...(m[12] === undefined ? {} : { control: parseControl(m[12]) }),
  };
}

/**
 * Runs every case through one testbench process; results in the order of the cases.
 * vcd: write the batch's waveform there (a model built with trace: true).
 */
export function runEngine(model: EngineModel, cases: readonly EngineCase[], opts: { vcd?: string } = {}): EngineResult[] {
  if (cases.length === 0) return [];
  const work = mkdtempSync(join(tmpdir(), "bpfoff-fpga-"));
  const roms: (BundleRom | undefined)[] = [];
  try {
    const lines = cases.map((c, i) => {
      if (/\s/.test(c.name) || c.name === "") throw new Error(`case name '${c.name}' must be one word`);
      if (c.control) {
        const file = join(work, `${i}.ctl.txt`);
        const hexOf = (b: Uint8Array | undefined) => (b && b.length ? Buffer.from(b).toString("hex") : "-");
        writeFileSync(file, c.control.commands.map((k) => {
          if (k.key.length > MAP_COMMAND_MAX_KEY || (k.value?.length ?? 0) > MAP_COMMAND_MAX_VALUE) throw new Error(`${c.name}: a map command's key exceeds ${MAP_COMMAND_MAX_KEY} bytes or its value ${MAP_COMMAND_MAX_VALUE}`);
          if (k.tcam && (k.tcam.mask.length > 16 || !Number.isInteger(k.tcam.priority) || k.tcam.priority < 0 || k.tcam.priority > 0xffffffff)) throw new Error(`${c.name}: a TCAM command's mask exceeds 16 bytes or its priority is not a u32`);
          const tcam = k.tcam ? ` ${hexOf(k.tcam.mask)} ${k.tcam.priority}` : "";
          return `${MAP_COMMAND_OPS[k.op]} ${k.map} ${(k.flags ?? 0) >>> 0} ${k.valueSize} ${hexOf(k.key)} ${hexOf(k.value)}${tcam}\n`;
        }).join(""));
        let mapsFile = "-";
        if (c.maps !== undefined) {
          mapsFile = join(work, `${i}.maps.txt`);
          writeFileSync(mapsFile, c.maps);
        }
        return `${c.name} - ${file} 0 0 ${c.maxCycles ?? 1_000_000} ctl 0 0 ${c.control.keepState ? 1 : 0} ${mapsFile} ${c.mapBytes ?? 0}`;
      }
      const rom = c.rom ?? singleProgramRom(c.slots, model.lanes, { xdp: c.xdp !== undefined });
      roms[i] = rom;
      if (rom.lanes !== model.lanes) throw new Error(`${c.name}: a ROM for ${rom.lanes} lane(s) on a ${model.lanes}-lane model`);
      if (rom.layout.slots.length > ROM_SLOTS * model.lanes) throw new Error(`${c.name}: ${rom.layout.slots.length / model.lanes} bundles exceed the ROM (${ROM_SLOTS})`);
      if (c.xdp && (c.mem?.length ?? 0) > XDP_MAX_FRAME) throw new Error(`${c.name}: a ${c.mem!.length}-byte frame exceeds the engine's ${XDP_MAX_FRAME}`);
      if (c.mem && c.mem.length > INPUT_BYTES) throw new Error(`${c.name}: ${c.mem.length} bytes exceed the input buffer (${INPUT_BYTES})`);
      const romFile = join(work, `${i}.rom.hex`);
      writeFileSync(romFile, romImage(rom.layout.slots, rom.layout.entryLen));
      let mem = "-";
      if (c.mem) {
        mem = join(work, `${i}.mem.hex`);
        writeFileSync(mem, Buffer.from(c.mem).toString("hex").replace(/(..)/g, "$1 ") + "\n");
      }
      const r1 = c.r1 ?? (c.mem ? INPUT_BASE : 0n);
      const r2 = c.r2 ?? BigInt(c.mem?.length ?? 0);
      let maps = "";
      if (c.maps !== undefined || c.mapBytes) {
        let file = "-";
        if (c.maps !== undefined) {
          file = join(work, `${i}.maps.txt`);
          writeFileSync(file, c.maps);
        }
        maps = ` ${file} ${c.mapBytes ?? 0}`;
      }
      const xdp = c.xdp
        ? ` ${c.xdp.stream ? "xdp-stream" : "xdp"} ${c.xdp.ifindex >>> 0} ${(c.xdp.rxQueue ?? 0) >>> 0} ${c.xdp.keepState ? 1 : 0}`
        : maps ? " raw 0 0 0" : "";
      return `${c.name} ${romFile} ${mem} ${r1.toString(16)} ${r2.toString(16)} ${c.maxCycles ?? 1_000_000}${xdp}${maps}`;
    });
    const list = join(work, "cases.txt");
    writeFileSync(list, lines.join("\n") + "\n");
    const r = spawnSync(model.binary, [list, ...(opts.vcd ? [opts.vcd] : [])], { encoding: "utf8", maxBuffer: 256 << 20 });
    if (r.status !== 0) throw new Error(`testbench failed (status ${r.status}): ${r.stderr}`);
    const results = r.stdout.split("\n").filter(Boolean).map(parseResultLine);
    if (results.length !== cases.length) throw new Error(`testbench answered ${results.length} of ${cases.length} cases: ${r.stderr}`);
    // A fault names a bundle of its program: the original instruction is its lane-0 slot's.
    return results.map((res, i) => {
      const rom = roms[i];
      return res.status === "error" && rom ? { ...res, faultPc: faultSource(rom, res.faultBase ?? 0, res.faultPc) } : res;
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

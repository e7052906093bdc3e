// Running native code (x86_64 on the host, arm64 under qemu-user) with the C runtime of
// runtime/native: the runner is compiled at first use with the target's gcc and cached
// under .cache/native/<arch>-<hash>/ (the hash of the runtime's sources and the
// compiler's version), as backends/fpga/sim.ts caches the Verilator model. One process
// runs a whole request: a raw program once, or an XDP program over every frame.
//
// The run file (IN), little-endian:
//   "BPFN" u32 version=1, u32 mode (0 raw, 1 xdp), u32 nmaps, u32 seed, u32 ifindex,
//   u32 timeout_s, u32 repeat, u64 time_ns, u64 clock_step_ns;
//   u32 programs, then per program the code offset of its tail-call entry (u32);
//   per map: u32 kind (Linux type), key_size, value_size, max_entries, flags, entries;
//   then every map's entries (key bytes, value bytes; tcam: key, mask, u32 priority, value);
//   raw: u32 has_mem, u32 len, bytes;  xdp: u32 frames, then per frame u32 len, bytes.
// The result file (OUT): u32 status (0 ok, 1 fault), fault {u32 kind, pc, size, store,
//   u64 addr, u32 frame}; raw: u64 r0, u32 len, memory after; xdp: u32 frames done, per
//   frame u64 r0, i64 redirect ifindex (-1 none), u32 len, bytes; per map u32 entries and
//   the entries in the interpreter's order; u64 nanoseconds the runs took.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fail } from "../../ir/diag/diag.js";
import { linuxTypeOf } from "../../runtime/maps/def.js";
import { isTcam, type BpfMap } from "../../runtime/maps/map.js";
import { newHostState } from "../../runtime/helpers/env.js";
import { FAULT } from "./native-abi.js";

/** How each native target's runner is built and started. */
export interface NativeArch {
  readonly name: "x86_64" | "arm64";
  /** The C compiler that builds the runner for it. */
  readonly cc: string;
  /** How to start the runner: directly, or under an emulator. */
  readonly launch: (runner: string) => readonly [cmd: string, args: readonly string[]];
  readonly emulator?: string;
}

export const NATIVE_ARCHES: Readonly<Record<"x86_64" | "arm64", NativeArch>> = {
  // The host: the runner runs directly (x86-64 machines only: native.test.ts checks).
  x86_64: { name: "x86_64", cc: "gcc", launch: (r) => [r, []] },
  // qemu-user with the cross toolchain's sysroot for the dynamic loader and libc.
  arm64: { name: "arm64", cc: "aarch64-linux-gnu-gcc", launch: (r) => ["qemu-aarch64", ["-L", "/usr/aarch64-linux-gnu", r]], emulator: "qemu-aarch64" },
};

/** Wall-clock limit of one native run (the interpreter's --max-steps has no native equivalent). */
export const NATIVE_TIMEOUT_S = 20;

function sourceRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "runtime/native/bpfoff_runtime.c"))) return dir;
    if (dirname(dir) === dir) return fail("io-read", {}, ["runtime/native/bpfoff_runtime.c", "not found above the bpfoff installation"]);
  }
}

export const NATIVE_SOURCES = ["bpfoff_native.h", "bpfoff_runtime.c", "bpfoff_runner.c"] as const;

export function runtimeDir(): string {
  return join(sourceRoot(), "runtime/native");
}

function toolVersion(cmd: string): string | undefined {
  const r = spawnSync(cmd, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split("\n")[0] : undefined;
}

/** The cached runner for an architecture, built on first use. */
export function nativeRunner(arch: NativeArch, cacheDir = join(sourceRoot(), ".cache/native")): string {
  if (arch.name === "x86_64" && process.arch !== "x64") fail("run-native-tool", {}, [arch.name, "an x86-64 host", `this host is ${process.arch}`]);
  const version = toolVersion(arch.cc);
  if (!version) return fail("run-native-tool", {}, [arch.name, arch.cc, "it is not installed (scripts/setup.mjs installs it)"]);
  if (arch.emulator && !toolVersion(arch.emulator)) return fail("run-native-tool", {}, [arch.name, arch.emulator, "it is not installed (scripts/setup.mjs installs qemu-user)"]);
  const h = createHash("sha256");
  for (const f of NATIVE_SOURCES) h.update(f + "\0").update(readFileSync(join(runtimeDir(), f)));
  h.update(version);
  const dir = join(cacheDir, `${arch.name}-${h.digest("hex").slice(0, 16)}`);
  const exe = join(dir, "bpfoff-native-run");
  if (existsSync(exe)) return exe;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(join(cacheDir, "build-"));
  const r = spawnSync(arch.cc, ["-O2", "-Wall", "-o", join(tmp, "bpfoff-native-run"), join(runtimeDir(), "bpfoff_runner.c"), join(runtimeDir(), "bpfoff_runtime.c")], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    return fail("run-native-tool", {}, [arch.name, arch.cc, `compiling runtime/native failed: ${(r.stderr || r.error?.message || "").split("\n")[0]}`]);
  }
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process built it first
  }
  return exe;
}

export interface NativeRequest {
  readonly code: Uint8Array;
  /** Tail calls: the code offset of every program's tail-call entry (program index order). */
  readonly programs?: readonly number[];
  readonly maps: readonly BpfMap[];
  readonly seed?: number;
  readonly raw?: { readonly mem?: Uint8Array };
  readonly xdp?: { readonly frames: readonly Uint8Array[]; readonly ifindex: number };
  /** Benchmarks: run the frames this many times (results are the first round's). */
  readonly repeat?: number;
  /** Benchmarks: a runner built with the program linked in (bench/native.mjs), instead of the cached one. */
  readonly runner?: string;
}

export interface NativeFault {
  readonly kind: number;
  readonly pc: number;
  readonly size: number;
  readonly store: boolean;
  readonly addr: bigint;
  readonly frame: number;
}

export interface NativeResult {
  readonly fault?: NativeFault;
  readonly r0: bigint;
  readonly mem?: Uint8Array;
  readonly packets: readonly { readonly r0: bigint; readonly redirect?: number; readonly packet: Uint8Array }[];
  readonly nanoseconds: bigint;
}

class Writer {
  private readonly parts: Uint8Array[] = [];
  u32(v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.parts.push(b);
  }
  u64(v: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.parts.push(b);
  }
  bytes(b: Uint8Array): void {
    this.parts.push(b);
  }
  done(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private at = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u32(): number {
    this.at += 4;
    return this.view.getUint32(this.at - 4, true);
  }
  u64(): bigint {
    this.at += 8;
    return this.view.getBigUint64(this.at - 8, true);
  }
  bytes(n: number): Uint8Array {
    this.at += n;
    return this.buf.slice(this.at - n, this.at);
  }
}

/** Runs native code through the runner; the maps are read back into `maps`. */
export function runNative(arch: NativeArch, req: NativeRequest): NativeResult {
  const runner = req.runner ?? nativeRunner(arch);
  const host = newHostState(req.seed);
  const w = new Writer();
  w.bytes(new TextEncoder().encode("BPFN"));
  w.u32(2);
  w.u32(req.xdp ? 1 : 0);
  w.u32(req.maps.length);
  w.u32(host.rng);
  w.u32(req.xdp?.ifindex ?? 0);
  w.u32(NATIVE_TIMEOUT_S);
  w.u32(req.repeat ?? 1);
  w.u64(host.timeNs);
  w.u64(host.clockStepNs);
  w.u32(req.programs?.length ?? 0);
  for (const o of req.programs ?? []) w.u32(o);
  const entries = req.maps.map((m) => [...m.entries()]);
  req.maps.forEach((m, i) => {
    const d = m.def;
    for (const v of [linuxTypeOf(d.kind), d.keySize, d.valueSize, d.maxEntries, d.flags, entries[i]!.length]) w.u32(v);
  });
  for (const list of entries) for (const e of list) {
    w.bytes(e.key);
    if (e.mask) {
      w.bytes(e.mask);
      w.u32(e.priority ?? 0);
    }
    w.bytes(e.value);
  }
  if (req.xdp) {
    w.u32(req.xdp.frames.length);
    for (const f of req.xdp.frames) {
      w.u32(f.length);
      w.bytes(f);
    }
  } else {
    const mem = req.raw?.mem;
    w.u32(mem ? 1 : 0);
    w.u32(mem?.length ?? 0);
    if (mem) w.bytes(mem);
  }
  const tmp = mkdtempSync(join(tmpdir(), "bpfoff-native-"));
  try {
    const codeFile = join(tmp, "code.bin");
    const inFile = join(tmp, "run.in");
    const outFile = join(tmp, "run.out");
    writeFileSync(codeFile, req.code);
    writeFileSync(inFile, w.done());
    const [cmd, pre] = arch.launch(runner);
    const r = spawnSync(cmd, [...pre, codeFile, inFile, outFile], { encoding: "utf8", maxBuffer: 1 << 26 });
    if (r.status === 3) fail("run-native-timeout", {}, [arch.name, NATIVE_TIMEOUT_S]);
    if (r.status !== 0) return fail("run-native-tool", {}, [arch.name, "its runtime", `the runner failed (${r.signal ?? `exit ${r.status}`}): ${(r.stderr || r.error?.message || "").trim().split("\n")[0]}`]);
    const rd = new Reader(readFileSync(outFile));
    const status = rd.u32();
    const fault: NativeFault = { kind: rd.u32(), pc: rd.u32(), size: rd.u32(), store: rd.u32() !== 0, addr: rd.u64(), frame: rd.u32() };
    let r0 = 0n;
    let memAfter: Uint8Array | undefined;
    const packets: { r0: bigint; redirect?: number; packet: Uint8Array }[] = [];
    if (req.xdp) {
      const done = rd.u32();
      for (let i = 0; i < done; i++) {
        const pr0 = rd.u64();
        const redirect = BigInt.asIntN(64, rd.u64());
        const packet = rd.bytes(rd.u32());
        packets.push({ r0: pr0, packet, ...(redirect >= 0n ? { redirect: Number(redirect) } : {}) });
      }
    } else {
      r0 = rd.u64();
      memAfter = rd.bytes(rd.u32());
    }
    // The maps as the runtime left them: cleared and refilled in the runtime's order, which
    // is the interpreter's (hash: insertion order), so --maps-out prints the same.
    req.maps.forEach((m) => {
      const n = rd.u32();
      if (isTcam(m)) {
        const rows = Array.from({ length: n }, () => ({ key: rd.bytes(m.def.keySize), mask: rd.bytes(m.def.keySize), priority: rd.u32(), value: rd.bytes(m.def.valueSize) }));
        for (const e of [...m.entries()]) m.remove(e.key, e.mask!, e.priority!);
        for (const e of rows) m.insert(e.key, e.mask, e.priority, e.value);
        return;
      }
      const got = Array.from({ length: n }, () => ({ key: rd.bytes(m.def.keySize), value: rd.bytes(m.def.valueSize) }));
      const isArray = m.def.kind === "array" || m.def.kind === "percpu_array";
      if (!isArray) for (const e of [...m.entries()]) m.delete(e.key);
      for (const e of got) m.update(e.key, e.value, 0);
    });
    const nanoseconds = rd.u64();
    return { ...(status ? { fault } : {}), r0, mem: memAfter, packets, nanoseconds };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A fault as the interpreter would report it: the same diagnostic code and instruction index. */
export function reportFault(arch: string, f: NativeFault, notes: string[] = []): never {
  const loc = { insn: f.pc };
  const addr = f.addr.toString(16);
  switch (f.kind) {
    case FAULT.mem:
      return fail("run-mem", loc, [f.size, f.store ? "store" : "load", addr], [`in ${arch} code`, ...notes]);
    case FAULT.readonly:
      return fail("run-readonly", loc, [f.size, "memory", addr], notes);
    case FAULT.depth:
      return fail("run-depth", loc, [8], notes);
    case FAULT.fellOff:
      return fail("run-fell-off", loc, [], notes);
    case FAULT.tailCall:
      return fail("run-tail-call", {}, [], notes);
    default:
      return fail("run-helper-fail", loc, ["call", `bad argument (0x${addr})`], notes);
  }
}

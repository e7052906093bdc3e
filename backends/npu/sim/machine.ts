// The cycle-level simulator of the NPU (docs/npu-isa.md §Timing): N engines of T threads
// run a microcode image over a stream of packets. Per engine and cycle one microword
// issues, from the thread that ran last if it is still ready, else from the next ready
// thread (non-preemptive switching: a thread gives the engine up only by waiting on a
// signal). Commands go to memory units, each with its latency from the descriptor and a
// request queue that starts one request a cycle; the lookup engine answers map requests
// with runtime/maps' semantics, the helper unit with runtime/helpers'.
//
// A command's effect on memory happens when it issues and its answer arrives with the
// signal after the latency: a thread that waits before using the answer (what the code
// generator guarantees) sees exactly the sequential meaning. A command whose microword
// has the `ord` bit (state another packet writes: codegen/ordering.ts) issues only when
// every earlier packet is done, so a stream of packets leaves the maps as the
// interpreter, which runs them one after another, does; "every earlier packet is done"
// means done or past its last ordered command (`ordx`, or an ordered `lkp.lookup` with
// `rel` that found its key). `ordered: false` ignores the bit.
import { DiagnosticError, diag, fail } from "../../../ir/diag/diag.js";
import type { BpfMap } from "../../../runtime/maps/map.js";
import { HELPERS_BY_ID } from "../../../runtime/helpers/table.js";
import type { HostState, Redirect } from "../../../runtime/helpers/env.js";
import { AddressSpace } from "../../../runtime/interp/memory.js";
import { createXdpPacket, packetBytes, type XdpPacket } from "../../../runtime/interp/xdp.js";
import { ATOMIC_OPS, CONDITIONS, immValue, LOOKUP_KINDS, MEM_SIZES, offsetOf, OP_BY_CODE, operandOf, SH_SA, type Word } from "../isa.js";
import { LOCAL_BYTES, WINDOW, windowAddress } from "../layout.js";
import { MAX_TAIL_CALLS } from "../../../runtime/interp/interpreter.js";

/** The descriptor's timing figures the simulator reads (offload-hooks/targets/npu.json). */
export interface NpuTiming {
  readonly clock_mhz: number;
  readonly local_latency: number;
  readonly packet_latency: number;
  readonly ctx_latency: number;
  readonly map_latency: number;
  readonly lookup_array: number;
  readonly lookup_hash: number;
  readonly lookup_lpm: number;
  readonly lookup_tcam: number;
  readonly helper_latency: number;
  readonly mul_cycles: number;
}

export interface SimConfig {
  readonly engines: number;
  readonly threads: number;
  readonly timing: NpuTiming;
  /** Stop with an error after this many cycles. */
  readonly maxCycles: number;
  /** Stop with an error when a packet has issued this many microwords (a program that does not end). */
  readonly maxWordsPerJob?: number;
  /** Commands with the ord bit wait for every earlier packet (exact interpreter semantics); false: ignore the bit. */
  readonly ordered?: boolean;
}

export type Job = { readonly kind: "raw"; readonly mem?: Uint8Array } | { readonly kind: "xdp"; readonly frame: Uint8Array; readonly ifindex: number };

export interface JobResult {
  readonly r0: bigint;
  /** raw: the input memory after the run; xdp: the frame as the program left it. */
  readonly data: Uint8Array;
  readonly redirect?: Redirect;
  /** Cycles from the packet's first microword to its `done`. */
  readonly latency: number;
  readonly issued: number;
  readonly engine: number;
  readonly thread: number;
}

export interface SimStats {
  readonly cycles: number;
  /** Per engine: cycles it issued a microword (multiply steps included). */
  readonly issueCycles: readonly number[];
  readonly utilisation: number;
  /** Thread-cycles spent held back by packet order (a word with `ord` waiting for earlier packets): what ordering costs. */
  readonly orderHeld: number;
  /** Per unit (packet, map, lookup, ...): cycles requests waited in its queue before starting. */
  readonly queueWait: Readonly<Record<string, number>>;
}

interface LiveJob {
  readonly seq: number;
  readonly job: Job;
  readonly mem?: Uint8Array;
  readonly pkt?: XdpPacket;
  redirect?: Redirect;
  start: number;
  issued: number;
  result?: JobResult;
  /** Past its last ordered command (ordx) or done: later packets' ordered commands may issue. */
  released?: boolean;
  /** Tail calls that found their program, against MAX_TAIL_CALLS. */
  tailCalls: number;
}

interface Thread {
  readonly engine: number;
  readonly index: number;
  readonly regs: Uint32Array; // A0-A15, B0-B15
  readonly xr: Uint32Array;
  readonly xw: Uint32Array;
  sa: number;
  n: boolean; z: boolean; c: boolean; v: boolean;
  pc: number;
  state: "idle" | "ready" | "wait" | "order";
  /** When the thread was last held back by packet order (for SimStats.orderHeld). */
  orderSince: number;
  waitMask: number;
  arrived: number;
  job?: LiveJob;
  readonly local: Uint8Array;
}

interface Unit { readonly latency: number; nextFree: number }

interface Decoded { readonly w: Word; readonly name: string; readonly format: string; readonly imm: number }

const MASK64 = (1n << 64n) - 1n;

export class NpuMachine {
  private readonly code: Decoded[];
  private readonly threads: Thread[] = [];
  private readonly current: number[];
  private readonly busyUntil: number[];
  private readonly issueCycles: number[];
  private readonly units = new Map<string, Unit>();
  private readonly events: { time: number; thread: Thread; sig: number; apply?: () => void }[] = [];
  private readonly windows = new Map<number, Uint8Array>();
  private readonly windowOf = new WeakMap<Uint8Array, number>();
  private nextWindow: number = WINDOW.dynamicBase;
  private now = 0;
  private orderHeld = 0;
  private readonly queueWait = new Map<string, number>();

  constructor(image: readonly Word[], private readonly maps: readonly BpfMap[], private readonly host: HostState, private readonly cfg: SimConfig) {
    this.code = image.map((w) => {
      const info = OP_BY_CODE.get(w.op);
      return { w, name: info?.name ?? "?", format: info?.format ?? "?", imm: immValue(w) };
    });
    for (let e = 0; e < cfg.engines; e++) {
      for (let t = 0; t < cfg.threads; t++) {
        this.threads.push({ engine: e, index: t, regs: new Uint32Array(32), xr: new Uint32Array(16), xw: new Uint32Array(14), sa: 0, n: false, z: false, c: false, v: false, pc: 0, state: "idle", waitMask: 0, arrived: 0, orderSince: 0, local: new Uint8Array(LOCAL_BYTES) });
      }
    }
    this.current = Array.from({ length: cfg.engines }, () => 0);
    this.busyUntil = Array.from({ length: cfg.engines }, () => 0);
    this.issueCycles = Array.from({ length: cfg.engines }, () => 0);
    const t = cfg.timing;
    for (let e = 0; e < cfg.engines; e++) this.units.set(`local${e}`, { latency: t.local_latency, nextFree: 0 });
    this.units.set("packet", { latency: t.packet_latency, nextFree: 0 });
    this.units.set("ctx", { latency: t.ctx_latency, nextFree: 0 });
    this.units.set("map", { latency: t.map_latency, nextFree: 0 });
    this.units.set("lookup", { latency: 0, nextFree: 0 });
    this.units.set("helper", { latency: t.helper_latency, nextFree: 0 });
    // Array maps (and global data) sit at fixed windows: the code generator computes element addresses.
    maps.forEach((m, i) => {
      if (m.def.kind !== "array" && m.def.kind !== "percpu_array") return;
      const first = m.lookup(new Uint8Array(4));
      if (!first) return;
      const all = new Uint8Array(first.buffer, first.byteOffset, m.def.maxEntries * m.def.valueSize);
      this.windows.set(WINDOW.arrayBase + i, all);
    });
  }

  /** Runs every job to its end, packets handed to free threads in order; results in job order. */
  run(jobs: readonly Job[]): { results: JobResult[]; stats: SimStats } {
    const live: LiveJob[] = jobs.map((job, seq) => {
      if (job.kind === "raw") return { seq, job, mem: job.mem ? job.mem.slice() : undefined, start: 0, issued: 0, tailCalls: 0 };
      return { seq, job, pkt: createXdpPacket(new AddressSpace(), job.frame), start: 0, issued: 0, tailCalls: 0 };
    });
    let next = 0;
    let finished = 0;
    let oldest = 0;
    const dispatchOrder = [...this.threads].sort((a, b) => a.index - b.index || a.engine - b.engine);
    while (finished < live.length) {
      if (this.now > this.cfg.maxCycles) fail("run-engine-timeout", {}, ["npu", this.cfg.maxCycles]);
      // Free threads take the next packets.
      for (const t of dispatchOrder) {
        if (next >= live.length) break;
        if (t.state === "idle") this.start(t, live[next++]!);
      }
      // Answers that arrive this cycle.
      this.deliver();
      let progressed = false;
      for (let e = 0; e < this.cfg.engines; e++) {
        if (this.busyUntil[e]! > this.now) { this.issueCycles[e]!++; progressed = true; continue; }
        const t = this.pick(e);
        if (!t) continue;
        progressed = true;
        this.issueCycles[e]!++;
        // A word held back for packet order issues nothing: the cycle is not an issue cycle.
        const job = t.job!;
        if (!this.step(t, oldest)) this.issueCycles[e]!--;
        if (t.state === "idle") finished++;
        if (job.released && oldest < live.length && live[oldest]!.released) {
          // The oldest packet still holding the order moves on: held words may try again.
          while (oldest < live.length && live[oldest]!.released) oldest++;
          for (const w of this.threads) if (w.state === "order") { w.state = "ready"; this.orderHeld += this.now - w.orderSince; }
        }
      }
      this.now++;
      // Nothing can issue: skip to the next answer.
      if (!progressed && !this.threads.some((t) => t.state === "ready") && this.events.length) {
        const soonest = Math.min(...this.events.map((x) => x.time));
        if (soonest > this.now) this.now = soonest;
      }
    }
    const cycles = this.now;
    const util = cycles === 0 ? 0 : this.issueCycles.reduce((s, x) => s + x, 0) / (cycles * this.cfg.engines);
    const queueWait = Object.fromEntries([...this.queueWait].sort(([a], [b]) => a.localeCompare(b)));
    return { results: live.map((j) => j.result!), stats: { cycles, issueCycles: [...this.issueCycles], utilisation: util, orderHeld: this.orderHeld, queueWait } };
  }

  private start(t: Thread, job: LiveJob): void {
    t.regs.fill(0); t.xr.fill(0); t.xw.fill(0); t.local.fill(0);
    t.sa = 0; t.n = t.z = t.c = t.v = false;
    t.pc = 0; t.arrived = 0; t.waitMask = 0;
    t.state = "ready";
    t.job = job;
    job.start = this.now;
    // The packet descriptor: r1 in $r0, r2 in $r2:$r3 (docs/npu-isa.md §Threads).
    this.entryRegisters(t, job);
  }

  /** r1 in $r0 and (raw) r2 in $r2:$r3, as a program's prologue expects them: at the start and after a tail call. */
  private entryRegisters(t: Thread, job: LiveJob): void {
    if (job.job.kind === "xdp") t.xr[0] = windowAddress(WINDOW.ctx);
    else if (job.mem) { t.xr[0] = windowAddress(WINDOW.packet); t.xr[2] = job.mem.length; t.xr[3] = 0; }
  }

  private pick(e: number): Thread | undefined {
    const T = this.cfg.threads;
    for (let k = 0; k < T; k++) {
      const idx = (this.current[e]! + k) % T;
      const t = this.threads[e * T + idx]!;
      if (t.state === "ready") { this.current[e] = idx; return t; }
    }
    return undefined;
  }

  private deliver(): void {
    if (this.events.length === 0) return;
    for (let k = 0; k < this.events.length;) {
      const ev = this.events[k]!;
      if (ev.time > this.now) { k++; continue; }
      this.events.splice(k, 1);
      ev.apply?.();
      const t = ev.thread;
      t.arrived |= 1 << ev.sig;
      if (t.state === "wait" && (t.arrived & t.waitMask) === t.waitMask) {
        t.arrived &= ~t.waitMask;
        t.state = "ready";
      }
    }
  }

  /** A request to a unit: starts when the queue lets it, answers after the latency. */
  private request(unit: string, t: Thread, sig: number, latency?: number): void {
    const u = this.units.get(unit)!;
    const start = Math.max(this.now, u.nextFree);
    u.nextFree = start + 1;
    const key = unit.startsWith("local") ? "local" : unit;
    this.queueWait.set(key, (this.queueWait.get(key) ?? 0) + start - this.now);
    this.events.push({ time: start + (latency ?? u.latency), thread: t, sig });
  }

  // ------------------------------------------------------------ memory
  private fault(t: Thread, why: string): never {
    throw new DiagnosticError([diag("run-engine-fault", { insn: t.pc }, ["npu", why, 1], [`microword ${t.pc}, engine ${t.engine} thread ${t.index}, packet ${t.job!.seq + 1}`])]);
  }

  /** The bytes an address falls in, its offset and the unit that serves it. */
  private resolve(t: Thread, addr: number, size: number, write: boolean): { bytes: Uint8Array; off: number; unit: string } {
    const win = addr >>> 16, off = addr & 0xffff;
    const job = t.job!;
    const check = (lo: number, hi: number) => {
      if (off < lo || off + size > hi) this.fault(t, `${size}-byte ${write ? "store" : "load"} at 0x${addr.toString(16)} is outside its memory`);
    };
    if (win === WINDOW.local) { check(0, LOCAL_BYTES); return { bytes: t.local, off, unit: `local${t.engine}` }; }
    if (win === WINDOW.packet) {
      if (job.pkt) { check(job.pkt.meta, job.pkt.end); return { bytes: job.pkt.region.bytes, off, unit: "packet" }; }
      if (!job.mem) this.fault(t, `access at 0x${addr.toString(16)}: the program has no input memory`);
      check(0, job.mem.length);
      return { bytes: job.mem, off, unit: "packet" };
    }
    const bytes = this.windows.get(win);
    if (!bytes) this.fault(t, `${size}-byte ${write ? "store" : "load"} at 0x${addr.toString(16)} is outside every memory`);
    check(0, bytes.length);
    return { bytes, off, unit: "map" };
  }

  private ctxLoad(t: Thread, off: number, size: number): number {
    const pkt = t.job!.pkt;
    if (!pkt || size !== 4) this.fault(t, `${size}-byte load of the packet descriptor at offset ${off}`);
    switch (off) {
      case 0: return windowAddress(WINDOW.packet, pkt.data);
      case 4: return windowAddress(WINDOW.packet, pkt.end);
      case 8: return windowAddress(WINDOW.packet, pkt.meta);
      case 12: return (t.job!.job as { ifindex: number }).ifindex >>> 0;
      case 16: case 20: return 0;
      default: return this.fault(t, `no xdp_md field at offset ${off}`);
    }
  }

  private windowFor(value: Uint8Array): number {
    let w = this.windowOf.get(value);
    if (w === undefined) {
      w = this.nextWindow++;
      if (w > 0xffff) fail("run-engine-fault", {}, ["npu", "map memory windows exhausted", 2]);
      this.windowOf.set(value, w);
      this.windows.set(w, value);
    }
    return windowAddress(w);
  }

  private readBytes(t: Thread, addr: number, len: number): Uint8Array {
    const r = this.resolve(t, addr, len, false);
    return r.bytes.slice(r.off, r.off + len);
  }

  // ------------------------------------------------------------ execution
  private src(t: Thread, code: number): number {
    const o = operandOf(code);
    switch (o.kind) {
      case "A": return t.regs[o.n]!;
      case "B": return t.regs[16 + o.n]!;
      case "xr": return t.xr[o.n]!;
      default: return 0;
    }
  }
  private set(t: Thread, code: number, v: number): void {
    const o = operandOf(code);
    v >>>= 0;
    switch (o.kind) {
      case "A": t.regs[o.n] = v; break;
      case "B": t.regs[16 + o.n] = v; break;
      case "xw": t.xw[o.n] = v; break;
      case "sa": t.sa = v; break;
      default: break;
    }
  }
  private cond(t: Thread, c: number): boolean {
    switch (CONDITIONS[c]![0]) {
      case "al": return true;
      case "eq": return t.z;
      case "ne": return !t.z;
      case "cs": return t.c;
      case "cc": return !t.c;
      case "mi": return t.n;
      case "pl": return !t.n;
      case "vs": return t.v;
      case "vc": return !t.v;
      case "hi": return t.c && !t.z;
      case "ls": return !t.c || t.z;
      case "ge": return t.n === t.v;
      case "lt": return t.n !== t.v;
      case "gt": return !t.z && t.n === t.v;
      case "le": return t.z || t.n !== t.v;
      default: return false;
    }
  }

  /** Issues the thread's next microword; false when packet order holds it back. */
  private step(t: Thread, oldest: number): boolean {
    const d = this.code[t.pc];
    if (!d) this.fault(t, `the program counter left the control store (${this.code.length} words)`);
    const w = d.w;
    const job = t.job!;
    job.issued++;
    if (this.cfg.maxWordsPerJob !== undefined && job.issued > this.cfg.maxWordsPerJob) fail("npu-steps", { insn: t.pc }, [job.seq + 1, this.cfg.maxWordsPerJob]);
    const shared = (): boolean => {
      // Shared state waits for every earlier packet (ordered mode); the word issues again later.
      if (!w.ord || this.cfg.ordered === false || job.seq <= oldest) return false;
      t.state = "order";
      t.orderSince = this.now;
      job.issued--;
      return true;
    };
    let pc = t.pc + 1;
    switch (d.format) {
      case "alu": {
        const a = this.src(t, w.a), b = w.bimm ? d.imm : this.src(t, w.b);
        let r: number;
        const flagsArith = (res: number, carry: boolean, ov: boolean) => { t.c = carry; t.v = ov; return res; };
        switch (d.name) {
          case "add": { const s = a + b; r = flagsArith(s >>> 0, s > 0xffffffff, (((a ^ s) & (b ^ s)) & 0x80000000) !== 0); break; }
          case "addc": { const s = a + b + (t.c ? 1 : 0); r = flagsArith(s >>> 0, s > 0xffffffff, (((a ^ s) & (b ^ s)) & 0x80000000) !== 0); break; }
          case "sub": case "subc": case "rsub": case "rsubc": {
            const [x, y] = d.name.startsWith("r") ? [b, a] : [a, b];
            const borrow = d.name.endsWith("c") ? (t.c ? 0 : 1) : 0;
            const s = x - y - borrow;
            r = flagsArith(s >>> 0, s >= 0, (((x ^ y) & (x ^ s)) & 0x80000000) !== 0);
            break;
          }
          case "and": r = flagsArith((a & b) >>> 0, false, false); break;
          case "or": r = flagsArith((a | b) >>> 0, false, false); break;
          case "xor": r = flagsArith((a ^ b) >>> 0, false, false); break;
          case "mul_lo": r = flagsArith(Math.imul(a, b) >>> 0, false, false); this.busyUntil[t.engine] = this.now + this.cfg.timing.mul_cycles; break;
          case "mul_hi": r = flagsArith(mulHi(a, b), false, false); this.busyUntil[t.engine] = this.now + this.cfg.timing.mul_cycles; break;
          default: return this.fault(t, `bad ALU op ${d.name}`);
        }
        t.n = (r & 0x80000000) !== 0;
        t.z = r === 0;
        this.set(t, w.dst, r);
        break;
      }
      case "mov": this.set(t, w.dst, d.name === "mova" ? this.src(t, w.a) : w.bimm ? d.imm : this.src(t, w.b)); break;
      case "imm": {
        const o = operandOf(w.dst);
        const old = o.kind === "A" || o.kind === "B" ? this.src(t, w.dst) : 0;
        this.set(t, w.dst, ((w.imm << 16) | (old & 0xffff)) >>> 0);
        break;
      }
      case "sh": {
        const a = this.src(t, w.a), n = w.sh === SH_SA ? t.sa & 63 : w.sh;
        const r = d.name === "shl" ? (n >= 32 ? 0 : a << n) : d.name === "shr" ? (n >= 32 ? 0 : a >>> n) : n >= 32 ? a >> 31 : (a | 0) >> n;
        this.set(t, w.dst, r >>> 0);
        break;
      }
      case "dsh": {
        // The funnel shifter on a:b (a the high word), one 32-bit word out.
        const a = this.src(t, w.a), b = this.src(t, w.b);
        const n = w.sh === SH_SA ? t.sa & 63 : w.sh;
        let r: number;
        if (d.name === "dshl") r = n === 0 ? a : n < 32 ? (a << n) | (b >>> (32 - n)) : b << (n - 32);
        else if (n === 0) r = b;
        else if (n < 32) r = (b >>> n) | (a << (32 - n));
        else r = d.name === "dshr" ? a >>> (n - 32) : (a | 0) >> (n - 32);
        this.set(t, w.dst, r >>> 0);
        break;
      }
      case "un": {
        const a = this.src(t, w.a);
        this.set(t, w.dst, ((a & 0xff) << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24));
        break;
      }
      case "br": if (this.cond(t, w.cond)) pc = w.imm; break;
      case "bl": this.set(t, w.dst, pc); pc = w.imm; break;
      case "rtn": pc = this.src(t, w.a); break;
      case "wait":
        if ((t.arrived & w.imm) === w.imm) t.arrived &= ~w.imm;
        else { t.state = "wait"; t.waitMask = w.imm; }
        break;
      case "none":
        if (d.name === "done") {
          const r0 = BigInt(t.xw[0]!) | (BigInt(t.xw[1]!) << 32n);
          job.result = {
            r0, data: job.pkt ? packetBytes(job.pkt) : (job.mem ?? new Uint8Array(0)), redirect: job.redirect,
            latency: this.now + 1 - job.start, issued: job.issued, engine: t.engine, thread: t.index,
          };
          t.state = "idle";
          t.job = undefined;
          job.released = true;
          return true;
        }
        if (d.name === "ordx") job.released = true;
        break;
      case "mem": {
        const addr = (this.src(t, w.a) + offsetOf(w)) >>> 0;
        const size = MEM_SIZES[w.size]!;
        if (addr >>> 16 === WINDOW.ctx) {
          if (d.name !== "rd") this.fault(t, "the packet descriptor is read-only");
          t.xr[w.xfer] = this.ctxLoad(t, addr & 0xffff, size);
          this.request("ctx", t, w.sig);
          break;
        }
        const r = this.resolve(t, addr, size, d.name === "wr");
        if (shared()) return false;
        const view = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
        if (d.name === "rd") {
          const v = size === 1 ? view.getUint8(r.off) : size === 2 ? view.getUint16(r.off, true) : view.getUint32(r.off, true);
          t.xr[w.xfer] = v;
          if (size === 8) t.xr[(w.xfer + 1) & 15] = view.getUint32(r.off + 4, true);
        } else {
          const v = t.xw[w.xfer]!;
          if (size === 1) view.setUint8(r.off, v & 0xff);
          else if (size === 2) view.setUint16(r.off, v & 0xffff, true);
          else view.setUint32(r.off, v, true);
          if (size === 8) view.setUint32(r.off + 4, t.xw[w.xfer + 1]!, true);
        }
        this.request(r.unit, t, w.sig);
        break;
      }
      case "atom": {
        const addr = (this.src(t, w.a) + offsetOf(w)) >>> 0;
        const size = MEM_SIZES[w.size]!;
        if (size !== 4 && size !== 8) this.fault(t, `atomic of ${size} bytes`);
        const r = this.resolve(t, addr, size, true);
        if (shared()) return false;
        const view = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
        const mask = size === 8 ? MASK64 : 0xffffffffn;
        const old = size === 8 ? view.getBigUint64(r.off, true) : BigInt(view.getUint32(r.off, true));
        const x = w.xfer;
        const val = (BigInt(t.xw[x]!) | (size === 8 ? BigInt(t.xw[x + 1]!) << 32n : 0n)) & mask;
        const op = ATOMIC_OPS[w.cond] ?? this.fault(t, `atomic op ${w.cond}`);
        let next = old, answer = 0n;
        switch (op) {
          case "add": case "fetch_add": next = (old + val) & mask; break;
          case "or": case "fetch_or": next = old | val; break;
          case "and": case "fetch_and": next = old & val; break;
          case "xor": case "fetch_xor": next = old ^ val; break;
          case "xchg": next = val; break;
          case "cmpxchg": {
            const cmp = (BigInt(t.xw[x + 2]!) | (size === 8 ? BigInt(t.xw[x + 3]!) << 32n : 0n)) & mask;
            if (old === cmp) next = val;
            break;
          }
        }
        if (op.startsWith("fetch") || op === "xchg" || op === "cmpxchg") answer = old;
        if (size === 8) view.setBigUint64(r.off, next, true);
        else view.setUint32(r.off, Number(next), true);
        t.xr[x] = Number(answer & 0xffffffffn);
        t.xr[(x + 1) & 15] = Number(answer >> 32n);
        this.request(r.unit, t, w.sig);
        break;
      }
      case "lkp": {
        if (shared()) return false;
        const map = this.maps[w.sh];
        if (!map) this.fault(t, `lookup in map ${w.sh}, but the program has ${this.maps.length} maps`);
        const kind = LOOKUP_KINDS[w.cond];
        let answer = 0n;
        if (kind === "tail") {
          // bpf_tail_call (runtime/helpers/table.ts, runtime/interp): a found entry replaces the program.
          if (map.def.kind !== "prog_array") this.fault(t, `tail call through map ${w.sh}, which is no prog_array`);
          const index = this.src(t, w.a), high = this.src(t, w.b);
          const entry = high === 0 ? map.lookup(Uint8Array.of(index & 255, (index >>> 8) & 255, (index >>> 16) & 255, index >>> 24)) : undefined;
          answer = BigInt.asUintN(64, -2n); // -ENOENT
          if (entry && ++job.tailCalls <= MAX_TAIL_CALLS) {
            const p = new DataView(entry.buffer, entry.byteOffset, 4).getUint32(0, true);
            if (p >= w.imm) fail("run-tail-call", { insn: t.pc }, []);
            this.entryRegisters(t, job);
            pc = 1 + p;
            answer = 0n;
          }
        } else if (kind === "elem") {
          const i = this.src(t, w.a);
          const base = this.windows.get(WINDOW.arrayBase + w.sh);
          answer = base && i < map.def.maxEntries ? BigInt(windowAddress(WINDOW.arrayBase + w.sh, i * map.def.valueSize)) : 0n;
        } else {
          const key = this.readBytes(t, this.src(t, w.a), map.def.keySize);
          if (kind === "lookup") {
            const v = map.lookup(key);
            answer = v ? BigInt(this.valueWindow(w.sh, v)) : 0n;
            // A found key ends the packet's ordered section here (isa.ts `rel`): nothing it does next needs order.
            if (w.rel && v) job.released = true;
          } else if (kind === "update") {
            const value = this.readBytes(t, this.src(t, w.b), map.def.valueSize);
            answer = BigInt.asUintN(64, BigInt(map.update(key, value, w.imm)));
          } else if (kind === "delete") answer = BigInt.asUintN(64, BigInt(map.delete(key)));
          else this.fault(t, `lookup kind ${w.cond}`);
        }
        t.xr[w.xfer] = Number(answer & 0xffffffffn);
        t.xr[(w.xfer + 1) & 15] = Number(answer >> 32n);
        const tm = this.cfg.timing;
        const k = map.def.kind;
        const latency = k === "array" || k === "percpu_array" ? tm.lookup_array : k === "lpm_trie" ? tm.lookup_lpm : k === "tcam" ? tm.lookup_tcam : tm.lookup_hash;
        this.request("lookup", t, w.sig, latency);
        break;
      }
      case "hlp": {
        if (shared()) return false;
        const h = HELPERS_BY_ID.get(w.imm);
        if (!h) this.fault(t, `helper ${w.imm} does not exist`);
        const args = [0, 1, 2, 3, 4].map((k) => BigInt(t.xw[2 * k]!) | (BigInt(t.xw[2 * k + 1]!) << 32n)) as [bigint, bigint, bigint, bigint, bigint];
        const env = {
          space: new AddressSpace(), maps: this.maps, host: this.host, xdp: job.pkt, redirect: undefined as Redirect | undefined,
          mapAt: () => undefined, valueAddress: () => this.fault(t, `helper ${h.name} needs a map value address`),
        };
        const r = h.fn(env, args, t.pc);
        if (typeof r !== "bigint") this.fault(t, "tail calls");
        if (env.redirect) job.redirect = env.redirect;
        t.xr[w.xfer] = Number(r & 0xffffffffn);
        t.xr[(w.xfer + 1) & 15] = Number((r & MASK64) >> 32n);
        this.request("helper", t, w.sig);
        break;
      }
      default: this.fault(t, `unknown opcode 0x${w.op.toString(16)}`);
    }
    if (w.swap && (d.format === "mem" || d.format === "atom" || d.format === "lkp" || d.format === "hlp")) {
      t.state = "wait";
      t.waitMask = 1 << w.sig;
    }
    t.pc = pc;
    return true;
  }

  /** A lookup's answer: array values keep their fixed window, other values get one on first use. */
  private valueWindow(index: number, value: Uint8Array): number {
    const base = this.windows.get(WINDOW.arrayBase + index);
    if (base && value.buffer === base.buffer && value.byteOffset >= base.byteOffset && value.byteOffset < base.byteOffset + base.byteLength) {
      return windowAddress(WINDOW.arrayBase + index, value.byteOffset - base.byteOffset);
    }
    return this.windowFor(value);
  }
}


/** The high word of an unsigned 32x32 product, in 16-bit halves so that every partial product is exact in a double. */
function mulHi(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const lh = al * bh, hl = ah * bl;
  const mid = ((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + Math.floor(lh / 65536) + Math.floor(hl / 65536) + Math.floor(mid / 65536)) >>> 0;
}

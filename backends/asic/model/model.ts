// The behavioural model of the match-action pipeline (docs/asic-pipeline.md §Model). It
// reads the configuration files and table images only, never the program: the parser
// TCAM walks the packet and fills the PHV; each stage reads the PHV as it entered the
// stage (all units of a stage work in parallel) — gateways set predicate bits, which the
// stage's table predicates see at once (a gateway gates the tables of its stage); match
// tables whose predicate holds look up their key in their memory and copy hit bit and
// action data; action tables select an action by predicate bits and run its VLIW ops and
// stateful ALU operations — and its writes land at its end;
// the deparser emits the headers whose validity bits are set, in its list's order, then the
// rest of the packet from the payload offset in the PHV.
import type { ParserConfig, ActionTableConfig, BitRef, Container, Operand, PipelineConfig, StatefulOp, TableImage, When } from "../config.js";
import { Memory } from "../images.js";
import type { MapDef } from "../../../runtime/maps/def.js";
import { evalCmp } from "../analysis/paths.js";
import { hashValue } from "../analysis/bits.js";

export interface PacketMeta {
  readonly ingress_ifindex: number;
  readonly rx_queue_index: number;
}

export interface ModelResult {
  readonly verdict: bigint;
  readonly packet: Uint8Array;
  readonly redirect?: number;
}

/** A change a packet made to a memory (for writing back to runtime maps). */
export interface MemoryChange {
  readonly memory: string;
  readonly address: number;
}

const widthOf = (c: Container) => (c[0] === "B" ? 8 : c[0] === "H" ? 16 : 32);
const mask = (n: number) => (1n << BigInt(n)) - 1n;

export class PipelineModel {
  readonly changes: MemoryChange[] = [];

  constructor(
    readonly config: PipelineConfig,
    readonly memories: Map<string, Memory>,
  ) {}

  static fromMemories(config: PipelineConfig, memories: Map<string, Memory>): PipelineModel {
    return new PipelineModel(config, memories);
  }

  /** From a bundle's files: the configuration and the table images. */
  static fromImages(config: PipelineConfig, images: ReadonlyMap<string, { def: MapDef; image: TableImage }>): PipelineModel {
    return new PipelineModel(config, new Map([...images].map(([name, { def, image }]) => [name, Memory.fromImage(def, image)])));
  }

  run(frame: Uint8Array, meta: PacketMeta, trace?: string[]): ModelResult {
    const phv = new Map<Container, bigint>();
    const read = (src: ReadonlyMap<Container, bigint>, op: Operand): bigint => {
      let v = 0n, at = 0n;
      for (const s of op) {
        const part = "k" in s ? BigInt(s.k) : ((src.get(s.c) ?? 0n) >> BigInt(s.lo)) & mask(s.n);
        v |= part << at;
        at += BigInt(s.n);
      }
      return v;
    };
    /** Writes the low bits of `v` into the operand's bit positions (metadata fields). */
    const deposit = (dst: Map<Container, bigint>, op: Operand, v: bigint) => {
      let at = 0n;
      for (const s of op) {
        if ("c" in s) {
          const m = mask(s.n) << BigInt(s.lo);
          dst.set(s.c, ((dst.get(s.c) ?? 0n) & ~m) | (((v >> at) & mask(s.n)) << BigInt(s.lo)));
        }
        at += BigInt(s.n);
      }
    };
    deposit(phv, this.config.phv.intrinsic.pkt_len, BigInt(frame.length));
    deposit(phv, this.config.phv.intrinsic.ingress_ifindex, BigInt(meta.ingress_ifindex));
    deposit(phv, this.config.phv.intrinsic.rx_queue_index, BigInt(meta.rx_queue_index));
    this.parse(frame, phv, trace);
    trace?.push(`  phv after parser: ${dumpPhv(phv)}`);

    for (const stage of this.config.stages) {
      const input = new Map(phv);
      const writes: [Container, bigint, bigint][] = []; // container, mask, value
      const setBit = (r: BitRef, on: boolean) => writes.push([r.c, 1n << BigInt(r.bit), on ? 1n << BigInt(r.bit) : 0n]);
      const setAll = (c: Container, v: bigint) => writes.push([c, mask(widthOf(c)), v & mask(widthOf(c))]);
      const lines: string[] = [];
      // What the stage's predicates see: its input and its own gateways' outcomes.
      const gated = new Map(input);
      for (const g of stage.gateways) {
        const a = read(input, g.a), b = read(input, g.b);
        const out = evalCmp(g.cond === "len" ? "uge" : g.cond, a, b, g.width);
        setBit(g.out, out);
        gated.set(g.out.c, ((gated.get(g.out.c) ?? 0n) & ~(1n << BigInt(g.out.bit))) | (out ? 1n << BigInt(g.out.bit) : 0n));
        lines.push(`gateway ${g.name} ${g.cond}(${a}, ${b}) = ${out ? 1 : 0}`);
      }
      for (const t of stage.match_tables) {
        if (t.when && !holds(t.when, gated)) {
          lines.push(`table ${t.name}: skipped`);
          continue;
        }
        const k = read(input, t.key);
        const key = Uint8Array.from({ length: t.key_bytes }, (_, i) => Number((k >> BigInt(8 * i)) & 0xffn));
        const found = this.memories.get(t.memory)!.lookup(key);
        setBit(t.hit, found !== undefined);
        for (const d of t.data) writes.push([d.c, 0xffn << BigInt(d.lo), BigInt(found?.data[d.byte] ?? 0) << BigInt(d.lo)]);
        if (t.address) setAll(t.address, BigInt(found?.address ?? 0));
        lines.push(`table ${t.name} key ${Buffer.from(key).toString("hex")}: ${found ? `hit at ${found.address}, data ${Buffer.from(found.data).toString("hex")}` : "miss"}`);
      }
      for (const t of stage.action_tables) {
        const action = this.select(t, gated);
        if (action === undefined) {
          lines.push(`table ${t.name}: skipped`);
          continue;
        }
        const prog = t.actions[action]!;
        lines.push(`table ${t.name}: action ${prog.name}`);
        for (const op of prog.ops) {
          const a = read(input, op.a), b = op.b ? read(input, op.b) : 0n;
          const v = op.op === "hash" ? hashValue(op.rows ?? [], a) : op.op === "set" ? a : op.op === "add" ? a + b : op.op === "sub" ? a - b : op.op === "and" ? a & b : op.op === "or" ? a | b : a ^ b;
          setAll(op.dst, BigInt.asUintN(widthOf(op.dst), v));
        }
        for (const s of prog.stateful) this.stateful(s, input, read, writes, lines);
      }
      for (const [c, m, v] of writes) phv.set(c, ((phv.get(c) ?? 0n) & ~m) | v);
      if (trace) trace.push(`  stage ${stage.stage}: ${lines.join("; ") || "idle"}`);
    }

    const verdict = read(phv, this.config.phv.verdict);
    // The deparser: the headers whose validity bit is set, in list order, then the payload.
    const dep = this.config.deparser;
    const valid = dep.headers.filter((h) => (((phv.get(h.valid.c) ?? 0n) >> BigInt(h.valid.bit)) & 1n) === 1n);
    const head = valid.flatMap((h) => h.emit.map((e) => Number(((phv.get(e.c) ?? 0n) >> BigInt(widthOf(e.c) - 8 - 8 * e.byte)) & 0xffn)));
    const payloadFrom = Number(read(phv, dep.payload_from));
    const packet = Uint8Array.from([...head, ...frame.slice(Math.min(payloadFrom, frame.length))]);
    const rv = this.config.phv.redirect_valid;
    const redirected = (((phv.get(rv.c) ?? 0n) >> BigInt(rv.bit)) & 1n) === 1n;
    trace?.push(`  deparser: ${valid.length ? `headers ${valid.map((h) => `${dep.headers.indexOf(h)} ${h.name}`).join(", ")}` : "no headers"}, payload from ${payloadFrom}: ${packet.length} bytes; verdict ${verdict}${redirected ? `, redirect ${read(phv, this.config.phv.redirect)}` : ""}`);
    return { verdict, packet, ...(redirected ? { redirect: Number(read(phv, this.config.phv.redirect)) } : {}) };
  }

  private parse(frame: Uint8Array, phv: Map<Container, bigint>, trace?: string[]): void {
    const p = this.config.parser;
    let state: number | "accept" = p.start, cursor = 0;
    const taken: string[] = [];
    for (let steps = 0; state !== "accept" && steps <= p.states.length; steps++) {
      const st: ParserConfig["states"][number] = p.states[state]!;
      if (cursor + st.needs > frame.length) {
        taken.push(`${st.id}@${cursor} (packet too short: stop)`);
        break;
      }
      taken.push(`${st.id}@${cursor}`);
      // Each extraction deposits its bytes into their places in the container (a header's
      // container may hold bytes another state extracts), and marks its header valid.
      const extract = (items: ParserConfig["states"][number]["extract"], valid: BitRef | undefined) => {
        for (const x of items) {
          const w = widthOf(x.c) / 8;
          let v = phv.get(x.c) ?? 0n;
          for (let k = 0; k < x.bytes; k++) {
            const at = BigInt((w - 1 - (x.at ?? 0) - k) * 8);
            v = (v & ~(0xffn << at)) | (BigInt(frame[cursor + x.from + k]!) << at);
          }
          phv.set(x.c, v);
        }
        if (valid) phv.set(valid.c, (phv.get(valid.c) ?? 0n) | (1n << BigInt(valid.bit)));
      };
      extract(st.extract, st.valid);
      const short = (st.then ?? []).find((h) => {
        if (cursor + h.needs > frame.length) return true;
        extract(h.extract, h.valid);
        return false;
      });
      if (short) {
        taken.push(`(packet too short for ${short.needs} bytes: stop)`);
        break;
      }
      const look = Uint8Array.from({ length: p.lookahead_bytes }, (_, i) => frame[cursor + i] ?? 0);
      const row: ParserConfig["states"][number]["rows"][number] | undefined = st.rows.find((r) => {
        const value = Buffer.from(r.value, "hex"), m = Buffer.from(r.mask, "hex");
        return look.every((b, i) => (b & m[i]!) === value[i]);
      });
      if (!row) break;
      state = row.next;
      cursor += row.shift;
    }
    trace?.push(`  parser: ${taken.join(" -> ")}`);
  }

  private select(t: ActionTableConfig, input: ReadonlyMap<Container, bigint>): number | undefined {
    if (!t.key.length) return t.default_action;
    const bits = t.key.map((r) => (((input.get(r.c) ?? 0n) >> BigInt(r.bit)) & 1n) === 1n ? "1" : "0");
    const row = t.rows.find((r) => [...r.match].every((m, i) => m === "x" || m === bits[i]));
    return row?.action ?? t.default_action;
  }

  private stateful(s: StatefulOp, input: ReadonlyMap<Container, bigint>, read: (src: ReadonlyMap<Container, bigint>, op: Operand) => bigint, writes: [Container, bigint, bigint][], lines: string[]): void {
    const mem = this.memories.get(s.memory)!;
    const value = read(input, s.value);
    if (s.kind === "insert") {
      const k = read(input, s.key!);
      const key = Uint8Array.from({ length: mem.def.keySize }, (_, i) => Number((k >> BigInt(8 * i)) & 0xffn));
      const v = Uint8Array.from({ length: mem.def.valueSize }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn));
      const exists = mem.lookup(key) !== undefined;
      // BPF_NOEXIST (1) / BPF_EXIST (2) as the kernel's map update.
      const ok = !((s.flags === 1 && exists) || (s.flags === 2 && !exists)) && mem.insert({ key, value: v });
      if (ok) this.changes.push({ memory: s.memory, address: mem.lookup(key)!.address });
      if (s.out) writes.push([s.out.c, 1n << BigInt(s.out.bit), ok ? 1n << BigInt(s.out.bit) : 0n]);
      lines.push(`learn ${s.memory}[${Buffer.from(key).toString("hex")}] ${ok ? "inserted" : "refused"}`);
      return;
    }
    let address: number;
    if (s.kind === "direct") {
      const t = this.config.stages.flatMap((st) => st.match_tables).find((m) => m.name === s.table)!;
      address = Number(read(input, [{ c: t.address!, lo: 0, n: 32 }]));
    } else address = Number(read(input, s.index!));
    const cell = mem.atAddress(address);
    if (!cell) return void lines.push(`${s.kind} ${s.memory}[${address}]: no such element`);
    // The element before the update goes to the PHV (a register read).
    for (const d of s.data ?? []) writes.push([d.c, 0xffn << BigInt(d.lo), BigInt(cell[d.byte] ?? 0) << BigInt(d.lo)]);
    const old = cell.slice(s.offset, s.offset + s.size).reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);
    if (s.kind === "read") return void lines.push(`read ${s.memory}[${address}] = ${Buffer.from(cell).toString("hex")}`);
    if (s.kind === "branch") {
      // The SALU's own condition on the element it read, then the operations of its outcome.
      const taken = evalCmp(s.cond!, s.old_right ? value : old, s.old_right ? old : value, s.width!);
      lines.push(`branch ${s.memory}[${address}] ${s.old_right ? `${s.cond}(${value}, ${old})` : `${s.cond}(${old}, ${value})`} = ${taken ? 1 : 0}`);
      for (const op of (taken ? s.then : s.else) ?? []) this.stateful(op, input, read, writes, lines);
      return;
    }
    const next = BigInt.asUintN(s.size * 8, s.kind === "write" ? value : s.kind === "rmw" ? salu(s.alu!, old, value) : old + value);
    for (let i = 0; i < s.size; i++) cell[s.offset + i] = Number((next >> BigInt(8 * i)) & 0xffn);
    this.changes.push({ memory: s.memory, address });
    lines.push(`${s.kind}${s.alu ? ` ${s.alu}` : ""} ${s.memory}[${address}] ${old} -> ${next}`);
  }
}

/** A stateful ALU's operation on the old value (the result is cut to the element's width by the caller). */
function salu(alu: NonNullable<StatefulOp["alu"]>, old: bigint, v: bigint): bigint {
  switch (alu) {
    case "add":
      return old + v;
    case "sub":
      return old - v;
    case "and":
      return old & v;
    case "or":
      return old | v;
    case "xor":
      return old ^ v;
  }
}

/** A gateway predicate: one of its rows matches the key bits. */
function holds(w: When, phv: ReadonlyMap<Container, bigint>): boolean {
  const bits = w.key.map((r) => ((((phv.get(r.c) ?? 0n) >> BigInt(r.bit)) & 1n) === 1n ? "1" : "0"));
  return w.rows.some((row) => [...row].every((m, i) => m === "x" || m === bits[i]));
}

function dumpPhv(phv: ReadonlyMap<Container, bigint>): string {
  return [...phv]
    .filter(([, v]) => v !== 0n)
    .sort((a, b) => a[0].localeCompare(b[0], "en", { numeric: true }))
    .map(([c, v]) => `${c}=${v.toString(16)}`)
    .join(" ");
}

// From the recovered match-action program (analysis/paths.ts, registers as SALU programs by
// analysis/stateful.ts) to the pipeline's configuration (config.ts), within the
// descriptor's resources (docs/asic-pipeline.md):
//   1. parse graph -> parser TCAM states (compile/parser.ts);
//   2. PHV allocation (compile/phv.ts);
//   3. placement, in dependency order: each unit goes to the first stage after the ones
//      producing what it reads (match dependencies) and at or after the gateways its
//      predicate reads (control dependencies) that still has the resources it needs:
//      match tables, ALU temporaries (a keyless compute table per stage), gateways (one per
//      condition), a stateful ALU table per memory, and the action tables holding the
//      paths' effects (selection tables for the verdict and the deparser's validity bits, action blocks
//      for the rest), each applied under the predicate of the paths it serves
//      (compile/control.ts); match tables get a gateway predicate where their stage allows;
//   4. the deparser's ordered header list (compile/deparser.ts).
// A unit that does not fit is reported with its resource and excess, all of them at once.
import type { Atom, Recovered, Path, StatefulEffect } from "../analysis/paths.js";
import { pathTables, registerReads } from "../analysis/stateful.js";
import { always, cover, coverAtoms, project, rowOf, type Cube } from "./control.js";
import * as B from "../analysis/bits.js";
import type { Bits } from "../analysis/bits.js";
import type { ActionTableConfig, BitRef, Container, DeparserConfig, Gateway, MatchTableConfig, Op, Operand, PipelineConfig, StageConfig, StatefulOp } from "../config.js";
import { Phv, PhvFullError } from "./phv.js";
import { buildParseGraph, ParseError } from "./parser.js";
import { deparserList, type DeparserList } from "./deparser.js";
import type { MapDef } from "../../../runtime/maps/def.js";

export interface PipelineDescriptor {
  readonly stages: number;
  readonly phv: { readonly "8": number; readonly "16": number; readonly "32": number };
  readonly parser: { readonly states: number; readonly tcam_rows: number; readonly lookahead_bytes: number };
  readonly stage: { readonly sram_blocks: number; readonly tcam_blocks: number; readonly logical_tables: number; readonly gateways: number; readonly crossbar_bytes: number; readonly action_slots: number; readonly stateful_alus: number };
  readonly sram: { readonly width_bits: number; readonly depth: number };
  readonly tcam: { readonly width_bits: number; readonly depth: number };
  readonly hash_ways: number;
}

/** What a unit takes from its stage. */
export interface Use {
  sram_blocks: number;
  tcam_blocks: number;
  logical_tables: number;
  gateways: number;
  crossbar_bytes: number;
  action_slots: number;
  stateful_alus: number;
}
const RESOURCES: readonly (keyof Use)[] = ["sram_blocks", "tcam_blocks", "logical_tables", "gateways", "crossbar_bytes", "action_slots", "stateful_alus"];
const zero = (): Use => ({ sram_blocks: 0, tcam_blocks: 0, logical_tables: 0, gateways: 0, crossbar_bytes: 0, action_slots: 0, stateful_alus: 0 });

export interface ResourceReport {
  readonly stages: readonly ({ readonly stage: number; readonly units: readonly string[] } & Use)[];
  readonly total: Use;
  readonly capacity: Use & { readonly stages: number };
  readonly stages_used: number;
  readonly phv_bits: { readonly used: number; readonly total: number };
  readonly parser: { readonly states: number; readonly tcam_rows: number; readonly max_states: number; readonly max_tcam_rows: number };
}

export interface CompiledPipeline {
  readonly config: PipelineConfig;
  readonly resources: ResourceReport;
  /** Memories (tables/ images) and how they are matched. */
  readonly memories: readonly { readonly map: MapDef; readonly kind: "exact" | "ternary" | "register" }[];
}

/** A program that does not fit: one message per unit and resource. */
export class FitError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("; "));
  }
}

/** Rows a gateway holds (its predicate over predicate and hit bits); a longer predicate is a ternary table in TCAM. */
const GATEWAY_ROWS = 4;

const nextPow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));
const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

export function matchKind(map: MapDef): "exact" | "ternary" | "direct" {
  return map.kind === "lpm_trie" || map.kind === "tcam" ? "ternary" : map.kind === "array" || map.kind === "percpu_array" ? "direct" : "exact";
}

/** How a map's memory is laid out: a direct-indexed table is a register array read by index. */
export function imageKind(map: MapDef): "exact" | "ternary" | "register" {
  const k = matchKind(map);
  return k === "direct" ? "register" : k;
}

export function tableUse(map: MapDef, d: PipelineDescriptor): Use {
  const u = zero();
  const keyBits = map.keySize * 8, valueBits = map.valueSize * 8;
  if (matchKind(map) === "direct") u.sram_blocks = ceilDiv(valueBits, d.sram.width_bits) * ceilDiv(map.maxEntries, d.sram.depth);
  else if (matchKind(map) === "exact") {
    const perWay = nextPow2(ceilDiv(map.maxEntries, d.hash_ways));
    u.sram_blocks = d.hash_ways * ceilDiv(perWay, d.sram.depth) * ceilDiv(keyBits + valueBits, d.sram.width_bits);
  } else {
    u.tcam_blocks = ceilDiv(keyBits, d.tcam.width_bits) * ceilDiv(map.maxEntries, d.tcam.depth);
    u.sram_blocks = ceilDiv(valueBits, d.sram.width_bits) * ceilDiv(map.maxEntries, d.sram.depth);
  }
  u.logical_tables = 1;
  u.crossbar_bytes = map.keySize;
  return u;
}

function registerUse(map: MapDef, d: PipelineDescriptor): Use {
  return { ...zero(), sram_blocks: ceilDiv(map.valueSize * 8, d.sram.width_bits) * ceilDiv(map.maxEntries, d.sram.depth), stateful_alus: 1 };
}

const labelsOf = (b: Bits): string[] => b.filter((x): x is string => typeof x === "string");

/**
 * The recovered program with each bounds check that extracts a header (a path atom with
 * `valid`) replaced by that header's validity atom: one atom per header instance, whichever
 * check and offset found it on a path, so predicates key on the bit the parser sets.
 */
function withValidity(rec: Recovered): Recovered {
  const atoms: Atom[] = [...rec.atoms];
  const ids = new Map<string, number>();
  const validAtom = (anchor: string) => {
    let id = ids.get(anchor);
    if (id === undefined) {
      id = atoms.length;
      atoms.push({ kind: "valid", anchor });
      ids.set(anchor, id);
    }
    return id;
  };
  const paths = rec.paths.map((p) => ({ ...p, atoms: p.atoms.map((a) => (a.valid === undefined ? a : { atom: validAtom(a.valid), value: a.value })) }));
  return { ...rec, atoms, paths };
}

export function compilePipeline(recovered: Recovered, d: PipelineDescriptor): CompiledPipeline {
  const rec = withValidity(recovered);
  const problems: string[] = [];
  // 1. Parser.
  let graph;
  try {
    graph = buildParseGraph(rec.paths, d.parser.lookahead_bytes);
  } catch (e) {
    if (e instanceof ParseError) throw new FitError([`parser: ${e.message}`]);
    throw e;
  }
  const parserRows = graph.states.reduce((n, s) => n + s.rows.length, 0);
  if (graph.states.length > d.parser.states) problems.push(`parser: states: needs ${graph.states.length}, the parser has ${d.parser.states} (${graph.states.length - d.parser.states} over)`);
  if (parserRows > d.parser.tcam_rows) problems.push(`parser: TCAM rows: needs ${parserRows}, the parser has ${d.parser.tcam_rows} (${parserRows - d.parser.tcam_rows} over)`);

  // 2. PHV.
  const phv = new Phv(d.phv);
  const allLabels = new Set<string>();
  const note = (b: Bits) => labelsOf(b).forEach((l) => allLabels.add(l));
  for (const a of rec.atoms) if (a.kind === "cmp") (note(a.a), note(a.b));
  for (const t of rec.tables) note(t.key);
  for (const t of rec.temps) (note(t.a), note(t.b));
  for (const p of rec.paths) {
    note(p.verdict);
    if (p.redirect) note(p.redirect);
    for (const w of p.writes.values()) note(w);
    for (const s of p.stateful.flatMap(withNested)) (note(s.index), note(s.value));
  }
  // Only what some path needs is placed: temporaries that a re-associated adder tree or a
  // 64-bit operation left behind are dead.
  const liveTemps = new Set<number>();
  const keyAtomSet = new Set(rec.paths.flatMap((p) => p.atoms.map((a) => a.atom)));
  // Bounds checks that extract a header are its validity bit (withValidity), not a gateway.
  const validAnchors = rec.atoms.flatMap((a) => (a.kind === "valid" ? [a.anchor] : []));
  const markLive = (b: Bits) => {
    for (const l of labelsOf(b)) {
      if (!l.startsWith("x:")) continue;
      const id = Number(l.split(":")[1]);
      if (liveTemps.has(id)) continue;
      liveTemps.add(id);
      markLive(rec.temps[id]!.a);
      markLive(rec.temps[id]!.b);
    }
  };
  rec.atoms.forEach((a, i) => keyAtomSet.has(i) && a.kind === "cmp" && (markLive(a.a), markLive(a.b)));
  for (const t of rec.tables) markLive(t.key);
  for (const p of rec.paths) [p.verdict, p.redirect ?? [], ...p.writes.values(), ...p.stateful.flatMap(withNested).flatMap((s) => [s.index, s.value])].forEach(markLive);
  allLabels.clear();
  rec.atoms.forEach((a, i) => keyAtomSet.has(i) && a.kind === "cmp" && (note(a.a), note(a.b)));
  for (const t of rec.tables) note(t.key);
  for (const t of rec.temps) if (liveTemps.has(t.id)) (note(t.a), note(t.b));
  for (const p of rec.paths) {
    note(p.verdict);
    if (p.redirect) note(p.redirect);
    for (const w of p.writes.values()) note(w);
    for (const s of p.stateful.flatMap(withNested)) (note(s.index), note(s.value));
  }
  const directTables = new Set(rec.paths.flatMap((p) => p.stateful.filter((s) => s.kind === "direct").map((s) => s.table!)));
  let verdictC: Container, redirectC: Container, redirectValidC: Container;
  let payloadC: Container | undefined;
  const povC: Container[] = [];
  const addressC = new Map<number, Container>();
  const plans = rec.paths.map((p) => outputPlan(p, problems));
  if (problems.length) return fail(problems);
  // The deparser's headers in output order, and which of them each path emits.
  const dlist = deparserList(plans.map((pl) => pl.emit));
  // The payload offset is a PHV field only when paths differ in it; else a constant of the deparser.
  const payloadOffsets = new Set(plans.map((pl) => pl.payloadFrom));
  const payloadConst = payloadOffsets.size === 1 ? [...payloadOffsets][0]! : undefined;
  try {
    // Header bytes: one home per header instance (whatever offset a path finds it at), for
    // the bytes some path reads or the deparser emits; bytes of a header no path needs are
    // not extracted (the parser skips them).
    const needed = new Set<string>();
    for (const l of allLabels) if (l.startsWith("p:")) needed.add(B.packetLabel(l)!.byte);
    for (const plan of plans) for (const l of [...plan.emit, ...plan.sets.keys()]) if (l.startsWith("p:")) needed.add(l);
    const stateOrder = new Map<string, number>();
    for (const st of graph.states) for (const a of [st.anchor, ...st.then.map((h) => h.anchor)]) if (a !== undefined && !stateOrder.has(a)) stateOrder.set(a, st.id);
    const byAnchor = new Map<string, number[]>();
    for (const byte of needed) {
      const pl = B.packetLabel(`${byte}:0`)!;
      if (!stateOrder.has(pl.anchor)) return fail([`PHV: packet byte ${pl.anchor === "abs" ? pl.rel : `${pl.rel} of the header checked at ${pl.anchor}`} is read but no parser state extracts it`]);
      byAnchor.set(pl.anchor, [...(byAnchor.get(pl.anchor) ?? []), pl.rel]);
    }
    // Headers never extracted from one packet share containers (a chip compiler's PHV overlay:
    // IPv4 and IPv6 after Ethernet); the parser writes only the one it extracts.
    const together = coExtracted(graph);
    const occupants = new Map<Container, Set<string>>();
    for (const anchor of [...byAnchor.keys()].sort((a, b) => stateOrder.get(a)! - stateOrder.get(b)! || a.localeCompare(b))) {
      const rels = byAnchor.get(anchor)!.sort((a, b) => a - b);
      const taken = new Set<Container>();
      const overlay = (width: 8 | 16 | 32): Container | undefined => {
        for (const [c, who] of occupants) {
          if (Phv.widthOf(c) !== width || taken.has(c) || [...who].some((o) => together(anchor, o))) continue;
          taken.add(c);
          return c;
        }
        return undefined;
      };
      for (let i = 0; i < rels.length; ) {
        let j = i + 1;
        while (j < rels.length && rels[j] === rels[j - 1]! + 1) j++;
        const labels = rels.slice(i, j).map((r) => `p:${anchor}:${r}`);
        phv.packBytes(labels, `header @${anchor} bytes`, (b, bit) => `${b}:${bit}`, (b) => b.slice(b.lastIndexOf(":") + 1), overlay);
        for (const l of labels) {
          const c = phv.locate(`${l}:0`)!.c;
          taken.add(c);
          occupants.set(c, (occupants.get(c) ?? new Set()).add(anchor));
        }
        i = j;
      }
    }
    // Output bytes that are not a header's (pushed in front, or a header byte another output byte copies).
    const outputs = [...new Set(plans.flatMap((pl) => [...pl.emit, ...pl.sets.keys()].filter((l) => l.startsWith("o:")).map((l) => Number(l.slice(2)))))].sort((a, b) => a - b);
    for (let i = 0; i < outputs.length; ) {
      let j = i + 1;
      while (j < outputs.length && outputs[j] === outputs[j - 1]! + 1) j++;
      phv.packBytes(outputs.slice(i, j).map((o) => `o:${o}`), "output bytes", (b, bit) => `${b}:${bit}`, (b) => b.slice(2));
      i = j;
    }
    for (const a of validAnchors.sort((x, y) => (stateOrder.get(x) ?? 0) - (stateOrder.get(y) ?? 0) || x.localeCompare(y))) phv.bit(`v:${a}`, "validity");
    phv.field("m:pkt_len", 16, "pkt_len");
    for (const f of ["ingress_ifindex", "rx_queue_index"]) if ([...allLabels].some((l) => l.startsWith(`m:${f}:`))) phv.field(`m:${f}`, 32, f);
    for (const t of rec.tables) {
      const used = [...new Set([...allLabels].filter((l) => l.startsWith(`t:${t.id}:`)).map((l) => Number(l.split(":")[2])))].sort((a, b) => a - b);
      if (used.length) phv.packBytes(used.map(String), `${tableName(rec, t.id)} action data bytes`, (b, bit) => `t:${t.id}:${b}:${bit}`);
    }
    for (const t of rec.temps) if (liveTemps.has(t.id)) phv.field(`x:${t.id}`, 32, `temporary ${t.id} (${t.op})`);
    for (const t of [...directTables].sort((a, b) => a - b)) addressC.set(t, phv.field(`a:${t}`, 32, `${tableName(rec, t)} match address`));
    verdictC = phv.field("verdict", 32, "verdict");
    redirectC = phv.field("redirect", 32, "redirect ifindex");
    redirectValidC = phv.field("redirect_valid", 8, "redirect valid");
    // The deparser's validity bits, one per header of its list, in whole containers (the
    // selection table sets them together), and the offset the payload starts at.
    const h = dlist.headers.length;
    if (h > 0 && h <= 16) povC.push(phv.field("pov0", h <= 8 ? 8 : 16, "deparser validity bits"));
    else for (let i = 0; i < h; i += 32) povC.push(phv.field(`pov${i / 32}`, 32, "deparser validity bits"));
    if (payloadConst === undefined) payloadC = phv.field("payload_from", 16, "deparser payload offset");
    rec.atoms.forEach((a, i) => keyAtomSet.has(i) && a.kind !== "valid" && (a.kind === "hit" ? phv.bit(`h:${a.table}`, "hit") : a.kind === "learned" ? phv.bit(`l:${i}`, "learned") : phv.bit(`g:${i}`, "predicate")));
    for (const t of rec.tables) phv.bit(`h:${t.id}`, "hit");
  } catch (e) {
    if (e instanceof PhvFullError) return fail([`PHV: ${e.message}`]);
    throw e;
  }

  // 3. Placement, in dependency order: a unit is placed when something first needs it, at
  // the first stage after what it reads (match dependencies) and, for what a predicate
  // gates, at or after the gateways computing it (control dependencies; a gateway's outcome
  // gates tables of its own stage) that still has the resources it needs.
  const used: Use[] = Array.from({ length: Math.max(d.stages, 1) }, zero);
  const units: string[][] = used.map(() => []);
  const cap: Use = { ...d.stage };
  const place = (name: string, earliest: number, need: Use): number => {
    const over = RESOURCES.filter((r) => need[r] > cap[r]);
    if (over.length) {
      for (const r of over) problems.push(`${name}: ${r.replace(/_/g, " ")}: needs ${need[r]}, a stage has ${cap[r]} (${need[r] - cap[r]} over)`);
      return earliest;
    }
    for (let s = earliest; s < d.stages; s++) {
      if (RESOURCES.every((r) => used[s]![r] + need[r] <= cap[r])) {
        RESOURCES.forEach((r) => (used[s]![r] += need[r]));
        units[s]!.push(name);
        return s;
      }
    }
    problems.push(`${name}: stages: needs stage ${Math.max(earliest, d.stages) + 1} after what it depends on, the pipeline has ${d.stages} (${Math.max(earliest, d.stages) + 1 - d.stages} over)`);
    return Math.max(earliest, d.stages);
  };
  /** Containers read, by the last stage reading them: a block writing one must not land before (its readers want the value from before the write). */
  const lastRead = new Map<Container, number>();
  const noteReads = (s: number, ...ops: Operand[]) => {
    for (const op of ops) for (const seg of op) if ("c" in seg) lastRead.set(seg.c, Math.max(lastRead.get(seg.c) ?? 0, s));
  };
  const regReads = registerReads(rec);
  const tableMemo = new Map<number, ReadonlySet<number>>();
  const pathNeeds = rec.paths.map((p) => pathTables(p, rec, tableMemo));
  const usedBytes = (id: number) => [...new Set([...allLabels].filter((l) => l.startsWith(`t:${id}:`)).map((l) => Number(l.split(":")[2])))].sort((a, b) => a - b);
  const dataOf = (id: number) => usedBytes(id).map((byte) => ({ byte, c: phv.locate(`t:${id}:${byte}:0`)!.c, lo: phv.locate(`t:${id}:${byte}:0`)!.bit }));
  const memories = new Map<string, { map: MapDef; kind: "exact" | "ternary" | "register" }>();
  const tablesOut = new Map<number, MatchTableConfig[]>();
  const computeOps = new Map<number, Op[]>();
  const gatewaysOut = new Map<number, Gateway[]>();
  const actionTablesOut = new Map<number, ActionTableConfig[]>();
  const emit = <T,>(m: Map<number, T[]>, s: number, x: T) => (m.has(s) ? m.get(s)!.push(x) : m.set(s, [x]));
  const stageOf = new Map<string, number>();
  const visiting = new Set<string>();
  /** A unit's stage, placing it (and what it depends on) on first use. */
  const at = (unit: string, placeIt: () => number): number => {
    const known = stageOf.get(unit);
    if (known !== undefined) return known;
    if (visiting.has(unit)) throw new CycleError(unit);
    visiting.add(unit);
    const s = placeIt();
    visiting.delete(unit);
    stageOf.set(unit, s);
    return s;
  };
  const labelAvail = (l: string): number => {
    const [kind, id] = l.split(":");
    if (kind === "t") return regReads.has(Number(id)) ? saluAt(rec.tables[Number(id)]!.map.name) + 1 : tableAt(Number(id)) + 1;
    if (kind === "x") return tempAt(Number(id)) + 1;
    return 0;
  };
  const ready = (...bs: Bits[]) => Math.max(0, ...bs.flatMap((b) => labelsOf(b).map(labelAvail)));
  /** The first stage whose gates see an atom's bit: a gateway's own stage, the stage after a table's or a SALU's. */
  const atomGate = (i: number): number => {
    const a = rec.atoms[i]!;
    if (a.kind === "hit") return tableAt(a.table) + 1;
    if (a.kind === "learned") return saluAt(a.map) + 1;
    if (a.kind === "valid") return 0; // the parser's
    return gatewayAt(i);
  };
  const tableAt = (id: number): number =>
    at(`table ${id}`, () => {
      const t = rec.tables[id]!;
      const name = tableName(rec, t.id);
      const fresh = !memories.has(t.map.name);
      // Logical tables on one map share its memory: the first pays for it.
      const need = fresh ? tableUse(t.map, d) : { ...zero(), logical_tables: 1, crossbar_bytes: t.map.keySize };
      memories.set(t.map.name, { map: t.map, kind: imageKind(t.map) });
      const s = place(`table ${name}`, ready(t.key), need);
      const key = phv.operand(t.key);
      noteReads(s, key);
      emit(tablesOut, s, { name, match: matchKind(t.map), memory: t.map.name, key_bytes: t.map.keySize, key, hit: phv.locate(`h:${t.id}`)!, data: dataOf(t.id), ...(addressC.has(t.id) ? { address: addressC.get(t.id)! } : {}) });
      return s;
    });
  const tempAt = (id: number): number =>
    at(`temp ${id}`, () => {
      const t = rec.temps[id]!;
      const s = place(`temporary ${t.id} (${t.op})`, ready(t.a, t.b), { ...zero(), action_slots: 1 });
      const dst = phv.locate(`x:${t.id}:0`)!.c;
      // A hash unit's GF(2) matrix: the operand's gather drops trailing zeros, the rows do too.
      const op: Op = t.op === "hash" ? { op: "hash", dst, a: phv.operand(t.a), rows: t.rows!.map((r) => r.slice(0, B.significant(t.a))) } : { op: t.op, dst, a: phv.operand(t.a), b: phv.operand(t.b) };
      noteReads(s, op.a, op.b ?? []);
      emit(computeOps, s, op);
      return s;
    });
  const gatewayAt = (i: number): number =>
    at(`gateway ${i}`, () => {
      const a = rec.atoms[i] as Atom & { kind: "len" | "cmp" };
      const [cond, width, x, y] = a.kind === "len" ? (["uge", 16, B.labelled("m:pkt_len", 16), B.constBits(BigInt(a.n))] as const) : ([a.cond, a.width, a.a, a.b] as const);
      const bytes = Math.ceil(Math.max(B.significant(x), B.significant(y), 1) / 8);
      const s = place(`gateway ${i} (${describeAtom(a, rec)})`, ready(x, y), { ...zero(), gateways: 1, crossbar_bytes: bytes });
      const g: Gateway = { name: `g${i}`, cond: cond as Gateway["cond"], width, a: phv.operand(x), b: phv.operand(y), out: phv.locate(`g:${i}`)! };
      noteReads(s, g.a, g.b);
      emit(gatewaysOut, s, g);
      return s;
    });
  const bitOfAtom = (i: number): BitRef => {
    const a = rec.atoms[i]!;
    return phv.locate(a.kind === "hit" ? `h:${a.table}` : a.kind === "learned" ? `l:${i}` : a.kind === "valid" ? `v:${a.anchor}` : `g:${i}`)!;
  };
  /** An action table selecting among `programs` by the predicate bits: its rows, key and what it takes. */
  const predicated = (covers: readonly Cube[][]) => {
    const keyAtoms = coverAtoms(covers.flat());
    const rows = covers.flatMap((cubes, action) => (always(cubes) && keyAtoms.length === 0 ? [] : cubes.map((c) => ({ match: rowOf(c, keyAtoms), action }))));
    const need = zero();
    need.logical_tables = 1;
    if (keyAtoms.length) {
      need.crossbar_bytes = ceilDiv(keyAtoms.length, 8);
      // A gateway holds a few rows; a longer predicate is a ternary table of its own.
      if (rows.length <= GATEWAY_ROWS) need.gateways = 1;
      else need.tcam_blocks = ceilDiv(keyAtoms.length, d.tcam.width_bits) * ceilDiv(rows.length, d.tcam.depth);
    }
    return { keyAtoms, key: keyAtoms.map(bitOfAtom), rows, need, gate: Math.max(0, ...keyAtoms.map(atomGate)) };
  };

  // Stateful memories: per path the SALU operations on each (a register's read and update, counters, learning).
  const saluPaths = new Map<string, { map: MapDef; perPath: StatefulEffect[][] }>();
  rec.paths.forEach((p, k) => {
    for (const s of p.stateful) {
      if (!saluPaths.has(s.map.name)) saluPaths.set(s.map.name, { map: s.map, perPath: rec.paths.map(() => []) });
      saluPaths.get(s.map.name)!.perPath[k]!.push(s);
    }
  });
  const saluAt = (m: string): number =>
    at(`salu ${m}`, () => {
      const { map, perPath } = saluPaths.get(m)!;
      const sigs = perPath.map((ops) => (ops.length ? JSON.stringify(ops.map((s) => statefulOp(s, phv, rec, dataOf))) : ""));
      // First match: an action on fewer paths first, so that the larger ones may cover its paths with fewer rows.
      const count = (sig: string) => sigs.filter((x) => x === sig).length;
      const distinct = [...new Set(sigs.filter((x) => x))].map((sig, i) => [sig, i] as const).sort((a, b) => count(a[0]) - count(b[0]) || a[1] - b[1]).map(([sig]) => sig);
      const programs = distinct.map((sig) => perPath[sigs.indexOf(sig)]!);
      const covers = distinct.map((sig, i) => cover(rec.paths, (k) => sigs[k] === sig, (k) => distinct.indexOf(sigs[k]!) >= 0 && distinct.indexOf(sigs[k]!) < i));
      const p = predicated(covers);
      const ops = programs.flat();
      const matchTables = rec.tables.filter((t) => t.map.name === m && !regReads.has(t.id));
      // It works on the memory the match tables on it look up (after them in their stage), on a direct counter's address (after its table).
      const earliest = Math.max(p.gate, ready(...ops.flatMap(withNested).flatMap((x) => [x.index, x.value])), ...matchTables.map((t) => tableAt(t.id)), ...ops.filter((s) => s.kind === "direct").map((s) => tableAt(s.table!) + 1));
      const need = { ...p.need, stateful_alus: Math.max(...perPath.map((o) => o.length)) };
      if (!matchTables.length) need.sram_blocks += registerUse(map, d).sram_blocks;
      if (!memories.has(m)) memories.set(m, { map, kind: map.kind === "hash" ? "exact" : "register" });
      const s = place(`stateful ALU of ${m}`, earliest, need);
      const actions = programs.map((prog, i) => ({ name: `${m}_${i}`, ops: [], stateful: prog.map((x) => statefulOp(x, phv, rec, dataOf)) }));
      const nested = (x: StatefulOp): StatefulOp[] => [x, ...[...(x.then ?? []), ...(x.else ?? [])].flatMap(nested)];
      for (const a of actions) for (const x of a.stateful.flatMap(nested)) noteReads(s, x.value, x.index ?? [], x.key ?? [], ...(x.kind === "direct" ? [[{ c: rec.tables.flatMap((t) => (tableName(rec, t.id) === x.table ? [addressC.get(t.id)!] : []))[0]!, lo: 0, n: 32 }]] : []));
      emit(actionTablesOut, s, { name: `salu_${m}`, key: p.key, rows: p.rows, ...(p.keyAtoms.length ? {} : { default_action: 0 }), actions });
      return s;
    });

  try {
    for (const t of rec.tables) if (!regReads.has(t.id)) tableAt(t.id);
    for (const t of rec.temps) if (liveTemps.has(t.id)) tempAt(t.id);
    rec.atoms.forEach((a, i) => keyAtomSet.has(i) && (a.kind === "len" || a.kind === "cmp") && gatewayAt(i));
    for (const m of [...saluPaths.keys()].sort()) saluAt(m);
  } catch (e) {
    if (!(e instanceof CycleError)) throw e;
    const m = [...visiting].find((u) => u.startsWith("salu "))?.slice(5) ?? e.unit;
    const insn = rec.paths.flatMap((p) => p.stateful).find((s) => s.map.name === m && s.kind !== "read" && s.insn !== undefined)?.insn;
    return fail([...problems, `${m}${insn === undefined ? "" : ` (instruction ${insn})`}: its update depends on a condition on its own value that its stateful ALU cannot test (a SALU compares the element it read, whole, with an operand independent of it)`]);
  }
  // A stage with ALU work has one keyless compute table more.
  for (const s of computeOps.keys()) if (s < d.stages) (used[s]!.logical_tables++, units[s]!.push(`compute table`));

  // Action blocks: the paths' effects (verdict, redirect, packet writes, the deparser's
  // validity bits and payload offset) as VLIW ops, each op on the paths that perform it. A
  // container every path writes (the verdict) gets a selection table: an action per value,
  // the most common one the default, rows for the others; the deparser's containers are one
  // selection table (`select_deparse`), an action per combination of valid headers and
  // payload offset. The other ops form blocks: ops on the same paths are one block, applied
  // under the predicate of those paths.
  const problemsBefore = problems.length;
  const opPaths = new Map<string, { op: Op; paths: number[] }>();
  const deparsePaths = new Map<string, { ops: Op[]; paths: number[] }>();
  rec.paths.forEach((p, k) => {
    const { ops, deparse } = pathOps(p, plans[k]!, phv, { verdictC: verdictC!, redirectC: redirectC!, redirectValidC: redirectValidC!, ...(payloadC ? { payloadC } : {}), povC }, dlist.valid[k]!);
    for (const op of ops) {
      const key = JSON.stringify(op);
      if (!opPaths.has(key)) opPaths.set(key, { op, paths: [] });
      opPaths.get(key)!.paths.push(k);
    }
    const key = JSON.stringify(deparse);
    if (!deparsePaths.has(key)) deparsePaths.set(key, { ops: deparse, paths: [] });
    deparsePaths.get(key)!.paths.push(k);
  });
  if (problems.length > problemsBefore) return fail(problems);
  interface ActionUnit {
    readonly table: ActionTableConfig;
    readonly need: Use;
    readonly earliest: number;
    readonly paths: ReadonlySet<number>;
    readonly reads: ReadonlySet<Container>;
    readonly writes: ReadonlySet<Container>;
  }
  const actionUnits: ActionUnit[] = [];
  const addUnit = (name: string, programs: readonly { ops: Op[]; paths: readonly number[] }[], withDefault: boolean) => {
    // The default action (when there is one) is the last: it needs no rows.
    // First match: the paths of earlier actions may meet a later action's rows too.
    const earlier = new Set<number>();
    const covers = programs.map((prog, i) => {
      const member = new Set(prog.paths);
      const cubes = withDefault && i === programs.length - 1 ? [] : cover(rec.paths, (k) => member.has(k), (k) => earlier.has(k));
      prog.paths.forEach((k) => earlier.add(k));
      return cubes;
    });
    const p = predicated(covers);
    const ops = programs.flatMap((prog) => prog.ops);
    const earliest = Math.max(p.gate, ...ops.map((op) => ready(labelsOfOperand(op.a, phv), op.b ? labelsOfOperand(op.b, phv) : [])), ...ops.map((op) => lastRead.get(op.dst) ?? 0));
    const need = { ...p.need, action_slots: Math.max(...programs.map((prog) => prog.ops.length)) };
    const table: ActionTableConfig = { name, key: p.key, rows: p.rows, ...(withDefault || !p.keyAtoms.length ? { default_action: programs.length - 1 } : {}), actions: programs.map((prog, i) => ({ name: programs.length === 1 ? name : `${name}_${i}`, ops: prog.ops, stateful: [] })) };
    const reads = new Set(ops.flatMap((op) => [...op.a, ...(op.b ?? [])].flatMap((seg) => ("c" in seg ? [seg.c] : []))));
    actionUnits.push({ table, need, earliest, paths: new Set(programs.flatMap((prog) => prog.paths)), reads, writes: new Set(ops.map((op) => op.dst)) });
  };
  const everywhere = new Set<Container>();
  for (const { op, paths } of opPaths.values()) if (paths.length === rec.paths.length || [...opPaths.values()].filter((o) => o.op.dst === op.dst).reduce((n, o) => n + o.paths.length, 0) === rec.paths.length) everywhere.add(op.dst);
  for (const c of [...everywhere].sort()) {
    const alternatives = [...opPaths.values()].filter((o) => o.op.dst === c).sort((x, y) => x.paths.length - y.paths.length);
    const what = c === verdictC! ? "verdict" : c;
    addUnit(`select_${what}`, alternatives.map((o) => ({ ops: [o.op], paths: o.paths })), true);
  }
  if ([...deparsePaths.keys()].some((k) => k !== "[]")) addUnit("select_deparse", [...deparsePaths.values()].sort((x, y) => x.paths.length - y.paths.length), true);
  const blocks = new Map<string, { ops: Op[]; paths: number[] }>();
  for (const { op, paths } of opPaths.values()) {
    if (everywhere.has(op.dst)) continue;
    const sig = paths.join(",");
    if (!blocks.has(sig)) blocks.set(sig, { ops: [], paths });
    blocks.get(sig)!.ops.push(op);
  }
  [...blocks.values()].forEach((b, i) => addUnit(`block${i}`, [b], false));
  // Write-after-read: a unit writing what another reads, on a packet both apply to, must not
  // come before it (every reader wants the value from before the program's writes). Units
  // that must each come no earlier than the other share a stage.
  const n = actionUnits.length;
  const notBefore = actionUnits.map((w) => actionUnits.map((r) => r !== w && [...r.reads].some((c) => w.writes.has(c)) && [...r.paths].some((k) => w.paths.has(k))));
  for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) if (notBefore[i]![k]) for (let j = 0; j < n; j++) if (notBefore[k]![j]) notBefore[i]![j] = true;
  const unitStage: number[] = [];
  const placeUnit = (i: number): number => {
    if (unitStage[i] !== undefined) return unitStage[i]!;
    const sameStage = actionUnits.map((_, j) => j).filter((j) => j === i || (notBefore[i]![j] && notBefore[j]![i]));
    const after = actionUnits.map((_, j) => j).filter((j) => sameStage.some((m) => notBefore[m]![j]) && !sameStage.includes(j));
    const earliest = Math.max(...sameStage.map((j) => actionUnits[j]!.earliest), ...after.map(placeUnit));
    const need = zero();
    for (const j of sameStage) RESOURCES.forEach((r) => (need[r] += actionUnits[j]!.need[r]));
    const s = place(sameStage.length === 1 ? `action table ${actionUnits[i]!.table.name}` : `action tables ${sameStage.map((j) => actionUnits[j]!.table.name).join(", ")} (they read what the others write)`, earliest, need);
    for (const j of sameStage) {
      unitStage[j] = s;
      emit(actionTablesOut, s, actionUnits[j]!.table);
    }
    return s;
  };
  for (let i = 0; i < n; i++) placeUnit(i);
  for (const s of unitStage) stageOf.set(`action ${s}`, s);
  if (problems.length) return fail(problems);

  // Match tables under their gateways: the paths that need a table, as far as the gateways
  // of its stage and the hit bits of earlier ones tell them apart. Without a free gateway in
  // its stage, or with a predicate longer than a gateway holds, a table is looked up on every
  // packet (speculatively: only the paths that need it read its results).
  const lastStage = Math.max(0, ...stageOf.values());
  for (const [s, list] of tablesOut) {
    tablesOut.set(
      s,
      list.map((cfg) => {
        const id = rec.tables.find((t) => tableName(rec, t.id) === cfg.name)!.id;
        const cubes = project(
          cover(rec.paths, (k) => pathNeeds[k]!.has(id)),
          (a) => atomGate(a) <= s,
        );
        if (always(cubes)) return cfg;
        const keyAtoms = coverAtoms(cubes);
        const bytes = ceilDiv(keyAtoms.length, 8);
        if (cubes.length > GATEWAY_ROWS || used[s]!.gateways + 1 > cap.gateways || used[s]!.crossbar_bytes + bytes > cap.crossbar_bytes) return cfg;
        used[s]!.gateways++;
        used[s]!.crossbar_bytes += bytes;
        return { ...cfg, when: { key: keyAtoms.map(bitOfAtom), rows: cubes.map((c) => rowOf(c, keyAtoms)) } };
      }),
    );
  }

  const stages: StageConfig[] = [];
  for (let s = 0; s <= lastStage; s++) {
    const action_tables: ActionTableConfig[] = [];
    const ops = computeOps.get(s);
    if (ops) action_tables.push({ name: `compute${s}`, key: [], rows: [], default_action: 0, actions: [{ name: "compute", ops, stateful: [] }] });
    action_tables.push(...(actionTablesOut.get(s) ?? []));
    stages.push({ stage: s, gateways: gatewaysOut.get(s) ?? [], match_tables: tablesOut.get(s) ?? [], action_tables });
  }
  const config: PipelineConfig = {
    parser: {
      lookahead_bytes: d.parser.lookahead_bytes,
      start: graph.start,
      states: graph.states.map((st) => ({
        id: st.id,
        cursor: st.cursor,
        needs: st.end - st.cursor,
        extract: extractionsOf(st, st.cursor, phv),
        ...(st.anchor !== undefined && phv.has(`v:${st.anchor}`) ? { valid: phv.locate(`v:${st.anchor}`)! } : {}),
        ...(st.then.length
          ? { then: st.then.map((h) => ({ needs: h.end - st.cursor, extract: extractionsOf(h, st.cursor, phv), ...(phv.has(`v:${h.anchor}`) ? { valid: phv.locate(`v:${h.anchor}`)! } : {}) })) }
          : {}),
        rows: st.rows.map((r) => {
          const value = new Uint8Array(d.parser.lookahead_bytes), mask = new Uint8Array(d.parser.lookahead_bytes);
          for (const c of r.constraints) {
            const rel = c.abs - st.cursor;
            if (rel < 0 || rel >= d.parser.lookahead_bytes) problems.push(`parser: state ${st.id} (cursor ${st.cursor}) branches on packet byte ${c.abs}, outside its ${d.parser.lookahead_bytes}-byte lookahead window`);
            else (value[rel] = c.value, mask[rel] = c.mask);
          }
          const next = r.next === "accept" ? "accept" : r.next;
          return { value: hex(value), mask: hex(mask), next, shift: next === "accept" ? 0 : graph.states[next]!.cursor - st.cursor };
        }),
      })),
    },
    phv: {
      containers: { "8": d.phv["8"], "16": d.phv["16"], "32": d.phv["32"] },
      allocation: phv.allocation,
      intrinsic: {
        pkt_len: phv.operand(B.labelled("m:pkt_len", 16)),
        ingress_ifindex: phv.has("m:ingress_ifindex:0") ? phv.operand(B.labelled("m:ingress_ifindex", 32)) : [],
        rx_queue_index: phv.has("m:rx_queue_index:0") ? phv.operand(B.labelled("m:rx_queue_index", 32)) : [],
      },
      verdict: phv.operand(B.labelled("verdict", 32)),
      redirect: phv.operand(B.labelled("redirect", 32)),
      redirect_valid: phv.locate("redirect_valid:0")!,
    },
    stages,
    deparser: deparserConfig(dlist, phv, payloadConst),
  };
  if (problems.length) return fail(problems);
  const total = zero();
  for (const u of used) RESOURCES.forEach((r) => (total[r] += u[r]));
  const resources: ResourceReport = {
    stages: used.slice(0, d.stages).map((u, s) => ({ stage: s, units: units[s]!, ...u })),
    total,
    capacity: { ...cap, stages: d.stages },
    stages_used: lastStage + 1,
    phv_bits: { used: phv.usedBits(), total: phv.totalBits() },
    parser: { states: graph.states.length, tcam_rows: parserRows, max_states: d.parser.states, max_tcam_rows: d.parser.tcam_rows },
  };
  return { config, resources, memories: [...memories.values()].sort((a, b) => a.map.name.localeCompare(b.map.name)) };
}

function fail(problems: readonly string[]): never {
  throw new FitError(problems);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

export function tableName(rec: Recovered, id: number): string {
  const t = rec.tables[id]!;
  const same = rec.tables.filter((x) => x.map.name === t.map.name);
  return same.length === 1 ? t.map.name : `${t.map.name}_${same.indexOf(t)}`;
}

export function describeAtom(a: Atom, rec: Recovered): string {
  if (a.kind === "len") return `pkt_len >= ${a.n}`;
  if (a.kind === "hit") return `${tableName(rec, a.table)} hit`;
  if (a.kind === "learned") return `${a.map} learned`;
  if (a.kind === "valid") return `header @${a.anchor} valid`;
  return `${a.cond}/${a.width}`;
}

/**
 * A state's extraction: the containers of its header's bytes that have a home, by offset
 * from the cursor, and the byte of the container each run starts at (0: the most
 * significant). Bytes without a home are proved (the state needs them) but not extracted.
 */
function extractionsOf(st: { extractFrom: number; end: number; anchor?: string; ref: number }, cursor: number, phv: Phv): { from: number; bytes: number; c: Container; at?: number }[] {
  const out: { from: number; bytes: number; c: Container; at?: number }[] = [];
  if (st.anchor === undefined) return out;
  let prev: { x: number; c: Container; at: number } | undefined;
  for (let x = st.extractFrom; x < st.end; x++) {
    const ref = phv.locate(`p:${st.anchor}:${x - st.ref}:0`);
    if (!ref) continue;
    const at = (Phv.widthOf(ref.c) - 8 - ref.bit) / 8;
    const last = out.at(-1);
    if (last && prev && prev.c === ref.c && prev.x === x - 1 && prev.at === at - 1) last.bytes++;
    else out.push({ from: x - cursor, bytes: 1, c: ref.c, ...(at ? { at } : {}) });
    prev = { x, c: ref.c, at };
  }
  return out;
}

/**
 * Whether two header instances may be extracted from one packet: both on one route of the
 * parse graph (a route is what the parser may extract from a packet, speculatively past the
 * gateways' conditions). Over-approximated by the headers on any route into a state and any
 * route out of it, which is safe: more pairs only share fewer containers.
 */
function coExtracted(graph: ReturnType<typeof buildParseGraph>): (a: string, b: string) => boolean {
  const own = (id: number) => {
    const st = graph.states[id]!;
    return [st.anchor, ...st.then.map((h) => h.anchor)].filter((a): a is string => a !== undefined);
  };
  const next = (id: number) => [...new Set(graph.states[id]!.rows.flatMap((r) => (r.next === "accept" ? [] : [r.next])))];
  const down = new Map<number, Set<string>>();
  const below = (id: number): Set<string> => {
    let d = down.get(id);
    if (d) return d;
    d = new Set(own(id));
    for (const n of next(id)) for (const a of below(n)) d.add(a);
    down.set(id, d);
    return d;
  };
  const up = new Map<number, Set<string>>();
  const visit = (id: number, before: ReadonlySet<string>) => {
    const u = up.get(id) ?? new Set<string>();
    const size = u.size;
    for (const a of [...before, ...own(id)]) u.add(a);
    if (up.has(id) && u.size === size) return;
    up.set(id, u);
    for (const n of next(id)) visit(n, u);
  };
  visit(graph.start, new Set());
  const pairs = new Set<string>();
  for (const [id, u] of up) for (const a of own(id)) for (const b of [...u, ...below(id)]) (pairs.add(`${a}|${b}`), pairs.add(`${b}|${a}`));
  return (a, b) => a === b || pairs.has(`${a}|${b}`);
}

/**
 * What a path's output is made of: per output byte (input offsets delta.. up to the last
 * written byte, then the payload) the byte label whose container the deparser emits, and the
 * new contents of those the path's action computes. A byte that is a header byte unchanged
 * (the P4 deparser writing a header back, shifted by a push or a pop) is emitted from that
 * header's home; a computed one goes into the home of the header byte at its offset, or into
 * an output container (`o:abs`) when that home is itself emitted elsewhere as it arrived.
 */
interface OutputPlan {
  readonly emit: readonly string[];
  readonly sets: ReadonlyMap<string, Bits>;
  readonly payloadFrom: number;
}

/**
 * The byte a value of 8 bits is, unchanged, when its container holds it at a byte boundary:
 * a header byte (`p:A:r`), a table's action data byte (`t:T:B`), or bits 8k..8k+7 of a
 * temporary or a metadata field (their containers hold bit i at bit i): the deparser emits it
 * from there (a CRC a hash unit computed goes out from the hash unit's container).
 */
function byteSource(v: Bits): string | undefined {
  const first = v[0];
  if (typeof first !== "string") return undefined;
  const cut = first.lastIndexOf(":");
  const family = first.slice(0, cut), bit = Number(first.slice(cut + 1));
  const bytewise = first.startsWith("p:") || first.startsWith("t:");
  if (!(bytewise || first.startsWith("x:") || first.startsWith("m:")) || (bytewise ? bit !== 0 : bit % 8 !== 0)) return undefined;
  if (!v.every((b, j) => b === `${family}:${bit + j}`)) return undefined;
  return bytewise ? family : first;
}

function outputPlan(p: Path, problems: string[]): OutputPlan {
  const lastWritten = Math.max(-Infinity, ...p.writes.keys());
  const end = Math.max(p.delta, lastWritten + 1);
  // The payload offset is an unsigned PHV field: bytes pushed in front must be written.
  if (end < 0) problems.push(`deparser: ${-p.delta} bytes pushed in front by adjust_head are not all written (output byte ${end - p.delta} is neither written nor extracted)`);
  const bytes: { abs: number; v: Bits; copy?: string }[] = [];
  for (let abs = p.delta; abs < end; abs++) {
    const home = p.bytes.get(abs);
    const v: Bits | undefined = p.writes.get(abs) ?? (home ? Array.from({ length: 8 }, (_, j) => `${home}:${j}`) : undefined);
    if (!v) {
      problems.push(`deparser: output byte ${abs - p.delta} (input byte ${abs}) is neither written nor extracted`);
      continue;
    }
    const copy = byteSource(v.slice(0, 8));
    bytes.push({ abs, v: v.slice(0, 8), ...(copy ? { copy } : {}) });
  }
  const copied = new Set(bytes.flatMap((b) => (b.copy?.startsWith("p:") ? [b.copy] : [])));
  const emit: string[] = [];
  const sets = new Map<string, Bits>();
  for (const b of bytes) {
    if (b.copy) {
      emit.push(b.copy);
      continue;
    }
    const home = p.bytes.get(b.abs);
    const target = home && !copied.has(home) ? home : `o:${b.abs}`;
    sets.set(target, b.v);
    emit.push(target);
  }
  return { emit, sets, payloadFrom: end };
}

interface MetaContainers {
  readonly verdictC: Container;
  readonly redirectC: Container;
  readonly redirectValidC: Container;
  /** Absent when every path's payload starts at one offset (a constant of the deparser). */
  readonly payloadC?: Container;
  readonly povC: readonly Container[];
}

/** A path's effects as VLIW ops on containers (one per container the path writes), the deparser's apart. */
function pathOps(p: Path, plan: OutputPlan, phv: Phv, m: MetaContainers, valid: readonly number[]): { ops: Op[]; deparse: Op[] } {
  const ops: Op[] = [{ op: "set", dst: m.verdictC, a: phv.operand(p.verdict) }];
  if (p.redirect) ops.push({ op: "set", dst: m.redirectC, a: phv.operand(p.redirect) }, { op: "set", dst: m.redirectValidC, a: [{ k: "1", n: 1 }] });
  // Packet writes: each container holding a computed output byte is set whole (deposit of
  // the new bytes into its old ones); reads see the PHV at the stage's input, so swaps need nothing.
  const byContainer = new Map<Container, string[]>();
  for (const l of [...plan.sets.keys()].sort()) {
    const c = phv.locate(`${l}:0`)!.c;
    if (!byContainer.has(c)) byContainer.set(c, []);
    byContainer.get(c)!.push(l);
  }
  for (const [c, labels] of [...byContainer].sort((a, b) => a[0].localeCompare(b[0], "en", { numeric: true }))) {
    const width = Phv.widthOf(c);
    const bits: B.Bit[] = [];
    for (let bit = 0; bit < width; bit++) bits.push(phv.labelAt(c, bit) ?? 0);
    for (const l of labels) {
      const w = plan.sets.get(l)!;
      for (let j = 0; j < 8; j++) bits[phv.locate(`${l}:${j}`)!.bit] = w[j]!;
    }
    ops.push({ op: "set", dst: c, a: phv.operand(bits) });
  }
  // The deparser: the validity bits of the headers the path emits (all others cleared), and
  // the input offset its payload starts at.
  const deparse: Op[] = m.povC.map((c, i) => {
    const mask = valid.filter((h) => h >> 5 === i).reduce((acc, h) => acc | (1n << BigInt(h & 31)), 0n);
    return { op: "set", dst: c, a: phv.operand(B.constBits(mask, Phv.widthOf(c))) };
  });
  if (m.payloadC) deparse.push({ op: "set", dst: m.payloadC, a: phv.operand(B.constBits(BigInt(plan.payloadFrom), 16)) });
  return { ops, deparse };
}

/** The deparser's headers with their bytes' containers and their validity bits. */
function deparserConfig(list: DeparserList, phv: Phv, payloadConst: number | undefined): DeparserConfig {
  const headers = list.headers.map((h, j) => ({
    name: h.family,
    valid: phv.locate(`pov${j >> 5}:${j & 31}`)!,
    emit: h.labels.map((l) => {
      const ref = phv.locate(l.startsWith("x:") || l.startsWith("m:") ? l : `${l}:0`)!;
      return { c: ref.c, byte: (Phv.widthOf(ref.c) - 8 - ref.bit) / 8 };
    }),
  }));
  return { headers, payload_from: phv.operand(payloadConst === undefined ? B.labelled("payload_from", 16) : B.constBits(BigInt(payloadConst), 16)) };
}

type DataOf = (table: number) => { byte: number; c: Container; lo: number }[];

/** A path's access to a memory as the operation of the memory's stateful ALU. */
function statefulOp(s: StatefulEffect, phv: Phv, rec: Recovered, dataOf: DataOf): StatefulOp {
  // The element before the update, returned to the PHV where the program reads it.
  const data = s.data === undefined ? {} : { data: dataOf(s.data) };
  switch (s.kind) {
    case "count":
    case "write":
    case "read":
      return { kind: s.kind, memory: s.map.name, index: phv.operand(s.index), offset: s.offset, size: s.size, value: phv.operand(s.value), ...data };
    case "rmw":
      return { kind: "rmw", alu: s.alu!, memory: s.map.name, index: phv.operand(s.index), offset: s.offset, size: s.size, value: phv.operand(s.value), ...data };
    case "direct":
      return { kind: "direct", memory: s.map.name, table: tableName(rec, s.table!), offset: s.offset, size: s.size, value: phv.operand(s.value) };
    case "insert":
      return { kind: "insert", memory: s.map.name, key: phv.operand(s.index), offset: 0, size: s.size, value: phv.operand(s.value), flags: s.offset, ...(s.learned === undefined ? {} : { out: phv.locate(`l:${s.learned}`)! }) };
    case "branch": {
      const b = s.branch!;
      if (b.cond === "ne") throw new Error("bug: a ne comparison (atoms are eq)");
      return { kind: "branch", memory: s.map.name, index: phv.operand(s.index), offset: s.offset, size: s.size, value: phv.operand(s.value), cond: b.cond, width: b.width, ...(b.oldRight ? { old_right: true } : {}), then: b.then.map((x) => statefulOp(x, phv, rec, dataOf)), else: b.else.map((x) => statefulOp(x, phv, rec, dataOf)), ...data };
    }
  }
}

/** A stateful effect and those a SALU branch runs. */
function withNested(s: StatefulEffect): StatefulEffect[] {
  return [s, ...(s.branch ? [...s.branch.then, ...s.branch.else].flatMap(withNested) : [])];
}

/** The labels an operand gathers (0 for constants and unlabelled bits): what it is ready after. */
function labelsOfOperand(op: Operand, phv: Phv): Bits {
  return op.flatMap((seg) => ("c" in seg ? Array.from({ length: seg.n }, (_, i) => phv.labelAt(seg.c, seg.lo + i) ?? 0) : []));
}

/** A placement that runs into itself: a unit whose predicate needs its own output. */
class CycleError extends Error {
  constructor(readonly unit: string) {
    super(unit);
  }
}

// From the recovered match-action program (analysis/paths.ts) to the pipeline's
// configuration (config.ts), within the descriptor's resources (docs/asic-pipeline.md):
//   1. parse graph -> parser TCAM states (compile/parser.ts);
//   2. PHV allocation (compile/phv.ts);
//   3. placement: each unit goes to the first stage after the ones producing what it reads
//      (match dependencies) that still has the resources it needs; match tables, ALU
//      temporaries (a keyless compute table per stage), gateways (one per condition), and
//      last the path table: a ternary table over the predicate and hit bits whose rows are
//      the program's paths and whose actions are the paths' effects (verdict, packet
//      writes, deparser layout, stateful ALU updates);
//   4. the deparser's layouts.
// A unit that does not fit is reported with its resource and excess, all of them at once.
import type { Atom, Recovered, Path, StatefulEffect } from "../analysis/paths.js";
import * as B from "../analysis/bits.js";
import type { Bits } from "../analysis/bits.js";
import type { ActionProgram, ActionTableConfig, BitRef, Container, Gateway, MatchTableConfig, Op, PipelineConfig, StageConfig, StatefulOp } from "../config.js";
import { Phv, PhvFullError } from "./phv.js";
import { buildParseGraph, ParseError } from "./parser.js";
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

export function compilePipeline(rec: Recovered, d: PipelineDescriptor): CompiledPipeline {
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
    for (const s of p.stateful) (note(s.index), note(s.value));
  }
  // Only what some path needs is placed: temporaries that a re-associated adder tree or a
  // 64-bit operation left behind are dead.
  const liveTemps = new Set<number>();
  // Bounds checks that extract a header are its validity bit on the path table's key, not a gateway.
  const keyAtomSet = new Set(rec.paths.flatMap((p) => p.atoms.filter((a) => a.valid === undefined).map((a) => a.atom)));
  const validAnchors = [...new Set(rec.paths.flatMap((p) => p.atoms.flatMap((a) => (a.valid === undefined ? [] : [a.valid]))))];
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
  for (const p of rec.paths) [p.verdict, p.redirect ?? [], ...p.writes.values(), ...p.stateful.flatMap((s) => [s.index, s.value])].forEach(markLive);
  allLabels.clear();
  rec.atoms.forEach((a, i) => keyAtomSet.has(i) && a.kind === "cmp" && (note(a.a), note(a.b)));
  for (const t of rec.tables) note(t.key);
  for (const t of rec.temps) if (liveTemps.has(t.id)) (note(t.a), note(t.b));
  for (const p of rec.paths) {
    note(p.verdict);
    if (p.redirect) note(p.redirect);
    for (const w of p.writes.values()) note(w);
    for (const s of p.stateful) (note(s.index), note(s.value));
  }
  const directTables = new Set(rec.paths.flatMap((p) => p.stateful.filter((s) => s.kind === "direct").map((s) => s.table!)));
  let verdictC: Container, redirectC: Container, redirectValidC: Container, deparseC: Container;
  const addressC = new Map<number, Container>();
  const plans = rec.paths.map((p) => outputPlan(p, problems));
  if (problems.length) return fail(problems);
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
    deparseC = phv.field("deparse", 16, "deparser layout");
    rec.atoms.forEach((a, i) => keyAtomSet.has(i) && (a.kind === "hit" ? phv.bit(`h:${a.table}`, "hit") : phv.bit(`g:${i}`, "predicate")));
    for (const t of rec.tables) phv.bit(`h:${t.id}`, "hit");
  } catch (e) {
    if (e instanceof PhvFullError) return fail([`PHV: ${e.message}`]);
    throw e;
  }

  // 3. Placement.
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
  const tableStage = new Map<number, number>();
  const tempStage = new Map<number, number>();
  const avail = (l: string): number => {
    const [kind, id] = l.split(":");
    if (kind === "t") return (tableStage.get(Number(id)) ?? 0) + 1;
    if (kind === "x") return (tempStage.get(Number(id)) ?? 0) + 1;
    return 0;
  };
  const ready = (...bs: Bits[]) => Math.max(0, ...bs.flatMap((b) => labelsOf(b).map(avail)));
  const tablesOut = new Map<number, MatchTableConfig[]>();
  const memories = new Map<string, { map: MapDef; kind: "exact" | "ternary" | "register" }>();
  const usedBytes = (id: number) => [...new Set([...allLabels].filter((l) => l.startsWith(`t:${id}:`)).map((l) => Number(l.split(":")[2])))].sort((a, b) => a - b);
  for (const t of rec.tables) {
    const name = tableName(rec, t.id);
    const fresh = !memories.has(t.map.name);
    // Logical tables on one map share its memory: the first pays for it.
    const need = fresh ? tableUse(t.map, d) : { ...zero(), logical_tables: 1, crossbar_bytes: t.map.keySize };
    const s = place(`table ${name}`, ready(t.key), need);
    tableStage.set(t.id, s);
    memories.set(t.map.name, { map: t.map, kind: imageKind(t.map) });
    const cfg: MatchTableConfig = {
      name,
      match: matchKind(t.map),
      memory: t.map.name,
      key_bytes: t.map.keySize,
      key: phv.operand(t.key),
      hit: phv.locate(`h:${t.id}`)!,
      data: usedBytes(t.id).map((byte) => ({ byte, c: phv.locate(`t:${t.id}:${byte}:0`)!.c, lo: phv.locate(`t:${t.id}:${byte}:0`)!.bit })),
      ...(addressC.has(t.id) ? { address: addressC.get(t.id)! } : {}),
    };
    if (!tablesOut.has(s)) tablesOut.set(s, []);
    tablesOut.get(s)!.push(cfg);
  }
  const computeOps = new Map<number, Op[]>();
  for (const t of rec.temps) {
    if (!liveTemps.has(t.id)) continue;
    const s = place(`temporary ${t.id} (${t.op})`, ready(t.a, t.b), { ...zero(), action_slots: 1 });
    tempStage.set(t.id, s);
    if (!computeOps.has(s)) computeOps.set(s, []);
    const dst = phv.locate(`x:${t.id}:0`)!.c;
    // A hash unit's GF(2) matrix: the operand's gather drops trailing zeros, the rows do too.
    if (t.op === "hash") computeOps.get(s)!.push({ op: "hash", dst, a: phv.operand(t.a), rows: t.rows!.map((r) => r.slice(0, B.significant(t.a))) });
    else computeOps.get(s)!.push({ op: t.op, dst, a: phv.operand(t.a), b: phv.operand(t.b) });
  }
  // A stage with ALU work has one keyless compute table more.
  for (const s of computeOps.keys()) if (s < d.stages) (used[s]!.logical_tables++, units[s]!.push(`compute table`));
  const gatewaysOut = new Map<number, Gateway[]>();
  const atomAvail = new Map<number, number>();
  rec.atoms.forEach((a, i) => {
    if (!keyAtomSet.has(i)) return;
    if (a.kind === "hit") return atomAvail.set(i, (tableStage.get(a.table) ?? 0) + 1);
    const [cond, width, x, y] = a.kind === "len" ? (["uge", 16, B.labelled("m:pkt_len", 16), B.constBits(BigInt(a.n))] as const) : ([a.cond, a.width, a.a, a.b] as const);
    const bytes = Math.ceil(Math.max(B.significant(x), B.significant(y), 1) / 8);
    const s = place(`gateway ${i} (${describeAtom(a, rec)})`, ready(x, y), { ...zero(), gateways: 1, crossbar_bytes: bytes });
    atomAvail.set(i, s + 1);
    if (!gatewaysOut.has(s)) gatewaysOut.set(s, []);
    gatewaysOut.get(s)!.push({ name: `g${i}`, cond: cond as Gateway["cond"], width, a: phv.operand(x), b: phv.operand(y), out: phv.locate(`g:${i}`)! });
  });

  // The path table: one row per path over the bits of the atoms the paths test (a header's
  // validity bit where the atom is the bounds check that extracts it).
  const columnOf = (a: Path["atoms"][number]): string => {
    if (a.valid !== undefined) return `v:${a.valid}`;
    const atom = rec.atoms[a.atom]!;
    return atom.kind === "hit" ? `h:${atom.table}` : `g:${a.atom}`;
  };
  const keyAtoms = [...new Set(rec.paths.flatMap((p) => p.atoms.map(columnOf)))].sort((x, y) => phvOrder(phv, x) - phvOrder(phv, y));
  const keyRefs: BitRef[] = keyAtoms.map((l) => phv.locate(l)!);
  const layouts: { id: number; emit: { c: Container; byte: number }[]; payload_from: number }[] = [{ id: 0, emit: [], payload_from: 0 }];
  const layoutIds = new Map<string, number>([[JSON.stringify({ emit: [], payload_from: 0 }), 0]]);
  const actions: ActionProgram[] = [];
  const actionIds = new Map<string, number>();
  const rows: { match: string; action: number }[] = [];
  const statefulMaps = new Set<string>();
  let pathReady = 0;
  const problemsBefore = problems.length;
  for (const [k, p] of rec.paths.entries()) {
    const program = pathAction(p, plans[k]!, phv, rec, { verdictC: verdictC!, redirectC: redirectC!, redirectValidC: redirectValidC!, deparseC: deparseC! }, layouts, layoutIds);
    for (const s of p.stateful) if (s.kind !== "direct") statefulMaps.add(s.map.name);
    pathReady = Math.max(pathReady, ready(p.verdict, p.redirect ?? [], ...p.writes.values(), ...p.stateful.flatMap((s) => [s.index, s.value])), ...p.atoms.map((a) => (a.valid === undefined ? atomAvail.get(a.atom)! : 0)));
    const sig = JSON.stringify(program);
    let id = actionIds.get(sig);
    if (id === undefined) {
      id = actions.length;
      actions.push({ name: `path${k}`, ...program });
      actionIds.set(sig, id);
    }
    const match = keyAtoms.map((col) => {
      const hit = p.atoms.find((x) => columnOf(x) === col);
      return hit ? (hit.value ? "1" : "0") : "x";
    });
    rows.push({ match: match.join(""), action: id });
  }
  if (problems.length > problemsBefore) return fail(problems);
  const pathNeed: Use = {
    ...zero(),
    logical_tables: 1,
    tcam_blocks: keyAtoms.length ? ceilDiv(keyAtoms.length, d.tcam.width_bits) * ceilDiv(rows.length, d.tcam.depth) : 0,
    crossbar_bytes: ceilDiv(keyAtoms.length, 8),
    action_slots: Math.max(0, ...actions.map((a) => a.ops.length)),
  };
  for (const m of [...statefulMaps].sort()) {
    const map = rec.paths.flatMap((p) => p.stateful).find((s) => s.map.name === m)!.map;
    const r = registerUse(map, d);
    pathNeed.sram_blocks += memories.has(m) ? 0 : r.sram_blocks;
    if (!memories.has(m)) memories.set(m, { map, kind: map.kind === "hash" ? "exact" : "register" });
  }
  pathNeed.stateful_alus += statefulAlus(rec.paths);
  const pathStage = place("path table", pathReady, pathNeed);
  if (problems.length) return fail(problems);

  const pathTable: ActionTableConfig = { name: "paths", key: keyRefs, rows, actions };
  const stages: StageConfig[] = [];
  for (let s = 0; s <= pathStage; s++) {
    const action_tables: ActionTableConfig[] = [];
    const ops = computeOps.get(s);
    if (ops) action_tables.push({ name: `compute${s}`, key: [], rows: [], default_action: 0, actions: [{ name: "compute", ops, stateful: [] }] });
    if (s === pathStage) action_tables.push(pathTable);
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
      deparse: phv.operand(B.labelled("deparse", 16)),
    },
    stages,
    deparser: { layouts },
  };
  if (problems.length) return fail(problems);
  const total = zero();
  for (const u of used) RESOURCES.forEach((r) => (total[r] += u[r]));
  const resources: ResourceReport = {
    stages: used.slice(0, d.stages).map((u, s) => ({ stage: s, units: units[s]!, ...u })),
    total,
    capacity: { ...cap, stages: d.stages },
    stages_used: pathStage + 1,
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

/** A key column's place: the order of the bits in the PHV (predicates, hits and validity bits as allocated). */
function phvOrder(phv: Phv, label: string): number {
  const r = phv.locate(label)!;
  return Number(r.c.slice(1)) * 64 + r.bit + (r.c[0] === "B" ? 0 : r.c[0] === "H" ? 1 << 20 : 1 << 21);
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
  readonly deparseC: Container;
}

/**
 * Stateful ALUs the path table needs. A stateful ALU is bound to one memory (a register
 * array, or the entries of a table whose direct counters it updates) and runs one operation
 * per packet; the path's action chooses the operation and the index. Operations on different
 * paths never run for the same packet, so they share their memory's ALU: a memory needs as
 * many as one path performs on it (P4's duplicated action code, one copy for a table hit and
 * one for the default action, updates the same counter array through one ALU).
 */
function statefulAlus(paths: readonly Path[]): number {
  const need = new Map<string, number>();
  for (const p of paths) {
    const here = new Map<string, number>();
    for (const s of p.stateful) here.set(s.map.name, (here.get(s.map.name) ?? 0) + 1);
    for (const [m, n] of here) need.set(m, Math.max(need.get(m) ?? 0, n));
  }
  return [...need.values()].reduce((a, b) => a + b, 0);
}

/** A path's effects as one action program: VLIW ops on containers, stateful ALU updates. */
function pathAction(p: Path, plan: OutputPlan, phv: Phv, rec: Recovered, m: MetaContainers, layouts: { id: number; emit: { c: Container; byte: number }[]; payload_from: number }[], layoutIds: Map<string, number>): { ops: Op[]; stateful: StatefulOp[] } {
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
  // The deparser layout: the output bytes from their containers, then the payload.
  const emit = plan.emit.map((l) => {
    const ref = phv.locate(l.startsWith("x:") || l.startsWith("m:") ? l : `${l}:0`)!;
    return { c: ref.c, byte: (Phv.widthOf(ref.c) - 8 - ref.bit) / 8 };
  });
  const sig = JSON.stringify({ emit, payload_from: plan.payloadFrom });
  let layout = layoutIds.get(sig);
  if (layout === undefined) {
    layout = layouts.length;
    layouts.push({ id: layout, emit, payload_from: plan.payloadFrom });
    layoutIds.set(sig, layout);
  }
  ops.push({ op: "set", dst: m.deparseC, a: phv.operand(B.constBits(BigInt(layout), 16)) });
  const stateful = p.stateful.map((s) => statefulOp(s, phv, rec));
  return { ops, stateful };
}

function statefulOp(s: StatefulEffect, phv: Phv, rec: Recovered): StatefulOp {
  switch (s.kind) {
    case "count":
    case "write":
      return { kind: s.kind, memory: s.map.name, index: phv.operand(s.index), offset: s.offset, size: s.size, value: phv.operand(s.value) };
    case "direct":
      return { kind: "direct", memory: s.map.name, table: tableName(rec, s.table!), offset: s.offset, size: s.size, value: phv.operand(s.value) };
    case "insert":
      return { kind: "insert", memory: s.map.name, key: phv.operand(s.index), offset: 0, size: s.size, value: phv.operand(s.value), flags: s.offset };
  }
}

// The `asic` targets (asic, asic_small): a program compiled into the configuration of a
// match-action pipeline (docs/asic-pipeline.md). A bundle holds, besides manifest.json and
// maps/:
//   asic/parser.json      parser TCAM states (extractions, lookahead rows, shifts)
//   asic/phv.json         PHV allocation and where the metadata lives
//   asic/stage-NN.json    per stage: gateways, match tables, action tables (VLIW ops, stateful ALUs)
//   asic/deparser.json    the ordered header list (validity bits) and the payload offset
//   asic/memories.json    the table memories: map definition and image file
//   asic/resources.json   resource use per stage and in total against the descriptor (+ .txt)
//   tables/<map>.json     table images: entries as the chip's memories hold them
// Each JSON file is validated against its schema in backends/asic/schemas/ when written
// and when the model reads it. `bpfoff run/test --target asic` compiles and runs the model
// on the configuration in memory; `bpfoff sim` runs a bundle's files.
import type { Backend, CompileInput, CompileOutput, XdpRunRequest, XdpRunResult } from "../common/backend.js";
import { DiagnosticError, diag, type Diagnostic } from "../../ir/diag/diag.js";
import { liftProgram } from "../../ir/lift/lift.js";
import { DEFAULT_PIPELINE, runPasses } from "../../ir/passes/index.js";
import { loadTarget } from "../../offload-hooks/descriptor.js";
import type { MapEntry } from "../../runtime/maps/map.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import type { Module } from "../../ir/core/ir.js";
import { recover } from "./analysis/paths.js";
import { registerPrograms } from "./analysis/stateful.js";
import { compilePipeline, FitError, type CompiledPipeline, type PipelineDescriptor } from "./compile/pipeline.js";
import { ImageError, memoryFrom, type Memory } from "./images.js";
import { bundleFiles, controlJson, type AsicBundle } from "./files.js";
import { PipelineModel } from "./model/model.js";
import { isTcam, type BpfMap } from "../../runtime/maps/map.js";

export function pipelineDescriptor(target: string): PipelineDescriptor {
  const d = loadTarget(target);
  if (!d.pipeline) throw new Error(`bug: offload-hooks/targets/${target}.json has no pipeline block`);
  return d.pipeline as PipelineDescriptor;
}

/** The program's pipeline configuration, or every reason it has none (constructs, fit). */
export function compileAsic(module: Module, target: string, file: string): CompiledPipeline {
  const rec = registerPrograms(recover(module));
  if (rec.problems.length) {
    const diags: Diagnostic[] = rec.problems.map((p) => diag("asic-construct", { file, ...(p.insn === undefined ? {} : { insn: p.insn }) }, [p.message]));
    throw new DiagnosticError([...diags.slice(0, -1), { ...diags.at(-1)!, notes: [`${rec.problems.length} construct${rec.problems.length === 1 ? "" : "s"} the ${target} pipeline cannot run: the program is refused, not miscompiled`] }]);
  }
  try {
    return compilePipeline(rec, pipelineDescriptor(target));
  } catch (e) {
    if (e instanceof FitError) throw new DiagnosticError(e.problems.map((p) => diag("asic-fit", { file }, [`does not fit the ${target} pipeline: ${p}`])));
    throw e;
  }
}

/** Memories filled from entries by map name (the build's control-plane entries, or live maps). */
export function fillMemories(compiled: CompiledPipeline, target: string, entriesOf: (name: string) => Iterable<MapEntry>, file: string): Map<string, Memory> {
  const ways = pipelineDescriptor(target).hash_ways;
  const out = new Map<string, Memory>();
  for (const m of compiled.memories) {
    try {
      out.set(m.map.name, memoryFrom(m.map, m.kind, ways, entriesOf(m.map.name)));
    } catch (e) {
      if (e instanceof ImageError) throw new DiagnosticError([diag("asic-fit", { file }, [e.message])]);
      throw e;
    }
  }
  return out;
}

function makeBackend(name: string): Backend {
  return {
    name,
    description: name === "asic" ? "match-action pipeline configuration (RMT/Tofino proportions): parser TCAM, PHV, 12 stages of tables, behavioural model" : "a small match-action pipeline (3 stages) for exercising fit errors",
    compile(input: CompileInput): CompileOutput {
      const compiled = compileAsic(input.module, name, input.source.name);
      const entries = input.mapEntries;
      const memories = fillMemories(compiled, name, (n) => entries?.get(n) ?? [], input.source.name);
      const bundle: AsicBundle = { target: name, compiled, memories, ...(input.controlPlane ? { control: controlJson(input.controlPlane) } : {}) };
      const files = bundleFiles(bundle);
      const r = compiled.resources;
      return {
        files,
        manifest: {
          // A pipeline has no code to enter: the parser's start state is where a packet begins.
          entry_points: [{ name: input.object.programs[input.program]!.name, file: "asic/parser.json", symbol: "start", offset: 0 }],
          resources: {
            stages_used: r.stages_used,
            stages: r.capacity.stages,
            sram_blocks: r.total.sram_blocks,
            tcam_blocks: r.total.tcam_blocks,
            phv_bits: r.phv_bits.used,
            phv_bits_total: r.phv_bits.total,
            logical_tables: r.total.logical_tables,
            tables: compiled.memories.map((m) => ({ name: m.map.name, kind: m.kind })),
            parser_states: r.parser.states,
            report: "asic/resources.json",
          },
        },
      };
    },
    runXdp(req: XdpRunRequest): XdpRunResult {
      const { model, sync } = modelFor(req.object, req.program, name, req.maps);
      const packets = req.frames.map((f) => {
        const r = model.run(f, { ingress_ifindex: req.ifindex, rx_queue_index: 0 });
        return { r0: r.verdict, packet: r.packet, ...(r.redirect !== undefined ? { redirect: { ifindex: r.redirect } } : {}) };
      });
      sync();
      return { packets, stats: packets.map(() => `stages ${model.config.stages.length}`) };
    },
  };
}

const compiledCache = new WeakMap<BpfObject, Map<string, CompiledPipeline>>();

/**
 * The model for an object run in memory (`bpfoff test/run --target asic`): compiled once per
 * object, its memories filled from the live maps and their changes written back after the run.
 */
function modelFor(object: BpfObject, program: number, target: string, maps: readonly BpfMap[] | undefined): { model: PipelineModel; sync: () => void } {
  let byTarget = compiledCache.get(object);
  if (!byTarget) compiledCache.set(object, (byTarget = new Map()));
  const k = `${target}:${program}`;
  let compiled = byTarget.get(k);
  if (!compiled) {
    const passes = DEFAULT_PIPELINE.filter((p) => p !== "mem2reg");
    const module = runPasses(liftProgram(object, program, "xdp", object.programs[program]!.name), passes);
    compiled = compileAsic(module, target, object.programs[program]!.name);
    byTarget.set(k, compiled);
  }
  const live = new Map((maps ?? []).map((m) => [m.def.name, m]));
  const memories = fillMemories(compiled, target, (n) => live.get(n)?.entries() ?? [], object.programs[program]!.name);
  // The model gets the configuration as the files carry it (plain JSON), not the compiler's objects.
  const model = PipelineModel.fromMemories(JSON.parse(JSON.stringify(compiled.config)) as CompiledPipeline["config"], memories);
  const sync = () => {
    for (const ch of model.changes) {
      const map = live.get(ch.memory);
      const mem = model.memories.get(ch.memory)!;
      if (!map) continue;
      const e = mem.entries().find((_, i) => i === entryIndex(mem, ch.address));
      if (e && isTcam(map)) map.insert(e.key, e.mask!, e.priority!, e.value);
      else if (e) map.update(e.key, e.value, 0);
    }
  };
  return { model, sync };
}

/** The position in entries() of the entry at a memory address. */
function entryIndex(mem: Memory, address: number): number {
  if (mem.kind === "exact") {
    const at = `${Math.floor(address / mem.depth)}:${address % mem.depth}`;
    return [...mem.slots.keys()].indexOf(at);
  }
  return address;
}

export const asicBackend = makeBackend("asic");
export const asicSmallBackend = makeBackend("asic_small");

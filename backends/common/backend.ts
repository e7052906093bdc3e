// The one interface every target implements (STYLE.md §2): adding a target is adding a
// folder under backends/ and a row in backends/registry.ts. The CLI knows targets only
// through the registry.
import type { BpfObject } from "../../ir/bpf/object.js";
import type { MapDef } from "../../runtime/maps/def.js";
import type { BpfMap, MapEntry } from "../../runtime/maps/map.js";
import type { Redirect } from "../../runtime/helpers/env.js";
import type { Module } from "../../ir/core/ir.js";

/** What the build pipeline hands a backend: the verified program in both forms. */
export interface CompileInput {
  /** The verified BPF form, after the IR round trip. */
  readonly object: BpfObject;
  /**
   * The same program as optimised IR (the module the BPF form was generated from), for
   * targets that compile from IR rather than from BPF (native code, NPU, ASIC).
   */
  readonly module: Module;
  /** Index of the program being built in object.programs. */
  readonly program: number;
  /**
   * The object as it was before the IR round trip: the BPF the module was lifted from.
   * Origins of module instructions (ir/core/ir.ts Inst.origin) are slot indices of its
   * program `program`, not of `object`'s (which the module generated). Absent when the
   * caller made the module some other way.
   */
  readonly lifted?: BpfObject;
  /** The program type the verifier checked it as. */
  readonly programType: "xdp" | "raw";
  /** Source file name as given (no absolute paths in artifacts) and its SHA-256. */
  readonly source: { readonly name: string; readonly sha256: string };
  /** Entries the build writes into the maps (a P4 program's control-plane entries), by map name: for targets that lay tables out themselves (asic). */
  readonly mapEntries?: ReadonlyMap<string, readonly MapEntry[]>;
  /** A P4 program's tables as the control plane sees them (frontends/p4/tables.ts TableInfo), for targets whose bundle must turn entries into table images alone (asic). */
  readonly controlPlane?: readonly ControlTable[];
}

/** One P4 table for the control plane: its map, key fields and actions (the shape of frontends/p4/tables.ts TableInfo). */
export interface ControlTable {
  readonly mapName: string;
  readonly control: string;
  readonly table: string;
  readonly keys: readonly { readonly name: string; readonly kind: string; readonly width: number }[];
  readonly actions: readonly { readonly name: string; readonly params: readonly { readonly name: string; readonly width: number }[] }[];
  readonly mapKind: "hash" | "lpm_trie" | "tcam";
  readonly size: number;
  readonly defaultMap?: string;
  readonly valueSet?: boolean;
}

/** The files of a bundle, by path relative to the bundle root, in a fixed order. */
export type ArtifactFiles = ReadonlyArray<readonly [path: string, data: Uint8Array | string]>;

export interface CompileOutput {
  readonly files: ArtifactFiles;
  /** Target-specific part of manifest.json (resource use, entry points, ...). */
  readonly manifest: Record<string, unknown>;
}

/** A raw program run (`bpfoff run FILE --target T --mem HEX`): r1 = the input memory, r2 = its length. */
export interface RawRunRequest {
  readonly object: BpfObject;
  /** Index of the program in object.programs. */
  readonly program: number;
  /** Input memory; absent: r1 = r2 = 0. */
  readonly mem?: Uint8Array;
  /** The interpreter's instruction budget (--max-steps); a target turns it into its own limit. */
  readonly maxSteps: number;
  /** bpf_get_prandom_u32 seed when the user gave --seed. */
  readonly seed?: number;
  /**
   * Live maps, one per object.maps entry (instantiateMaps, then --maps-in): the run starts
   * from their contents and leaves its final map state in them. Absent: fresh maps.
   */
  readonly maps?: readonly BpfMap[];
}

export interface RawRunResult {
  readonly r0: bigint;
  /** Figures for --stats (stderr), one line, e.g. cycles and retired instructions. */
  readonly stats?: string;
}

/** An XDP program over a stream of frames (`bpfoff run --target T --pcap`). */
export interface XdpRunRequest {
  readonly object: BpfObject;
  readonly program: number;
  readonly frames: readonly Uint8Array[];
  /** xdp_md ingress_ifindex of every frame (rx_queue_index is 0, as in the interpreter's run). */
  readonly ifindex: number;
  readonly maxSteps: number;
  readonly seed?: number;
  /** As RawRunRequest.maps: carried from frame to frame, the final state left in them. */
  readonly maps?: readonly BpfMap[];
  /** A waveform (VCD) of the whole run, written to this path (targets simulated in Verilator: fpga). */
  readonly vcd?: string;
}

export interface XdpRunResult {
  /** Per frame, in order: r0 (the verdict) and the frame as the program left it. */
  readonly packets: readonly { readonly r0: bigint; readonly packet: Uint8Array; readonly redirect?: Redirect }[];
  /** Figures for --stats (stderr), one line per frame. */
  readonly stats?: readonly string[];
}

export interface Backend {
  /** The --target name. */
  readonly name: string;
  readonly description: string;
  compile(input: CompileInput): CompileOutput;
  /** Runs a raw program on the target (hardware or its simulation); targets without it cannot `bpfoff run`. */
  runRaw?(request: RawRunRequest): RawRunResult;
  /** Runs an XDP program over frames, helper and map state carried from frame to frame as the interpreter does. */
  runXdp?(request: XdpRunRequest): XdpRunResult;
}

/** Maps the program uses, for manifest and images: all of the object's maps, in order. */
export function programMaps(input: CompileInput): readonly MapDef[] {
  return input.object.maps;
}

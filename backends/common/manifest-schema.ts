// The JSON Schema (draft 2020-12) of manifest.json, as data. backends/common/
// manifest.schema.json is this object written out for tools outside bpfoff; a test keeps
// the two identical (UPDATE_GOLDEN=1 rewrites the file). docs/manifest.md explains each field.
import { MAP_KINDS } from "../../runtime/maps/def.js";

/** Bumped when a field changes meaning or a required field is added. */
export const MANIFEST_FORMAT_VERSION = 1;

const sha256 = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
const u32 = { type: "integer", minimum: 0, maximum: 4294967295 } as const;
/** A path inside the bundle: relative, forward slashes, no "." or ".." parts. */
const bundlePath = { type: "string", pattern: "^(?!/)(?!.*(^|/)\\.\\.?(/|$))[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*$" } as const;
const name = { type: "string", minLength: 1 } as const;

export const MANIFEST_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://bpfoff.dev/schemas/manifest-1.json",
  title: "bpfoff build manifest",
  type: "object",
  additionalProperties: false,
  required: ["bpfoff_version", "format_version", "target", "program", "input", "maps", "context", "entry_points", "files", "resources"],
  properties: {
    bpfoff_version: { type: "string", pattern: "^\\d+\\.\\d+\\.\\d+" },
    format_version: { const: MANIFEST_FORMAT_VERSION },
    target: { type: "string", pattern: "^[a-z][a-z0-9_]*$" },
    program: {
      type: "object",
      additionalProperties: false,
      required: ["name", "section", "type"],
      properties: { name, section: { type: "string" }, type: { enum: ["xdp", "raw"] } },
    },
    input: {
      type: "object",
      additionalProperties: false,
      required: ["name", "sha256"],
      // The file name without its folder: bundles carry no absolute paths.
      properties: { name: { type: "string", pattern: "^[^/]+$" }, sha256 },
    },
    maps: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "kind", "linux_type", "key_size", "value_size", "max_entries", "flags", "global_data", "image"],
        properties: {
          name,
          kind: { enum: MAP_KINDS.map((k) => k.kind) },
          linux_type: u32,
          key_size: u32,
          value_size: u32,
          max_entries: u32,
          flags: u32,
          global_data: { type: "boolean" },
          image: bundlePath,
        },
      },
    },
    context: {
      oneOf: [
        {
          type: "object",
          additionalProperties: false,
          required: ["type", "size", "fields"],
          properties: {
            type: { const: "xdp" },
            size: u32,
            fields: {
              type: "array",
              items: { type: "object", additionalProperties: false, required: ["name", "offset", "size"], properties: { name, offset: u32, size: u32 } },
            },
          },
        },
        {
          type: "object",
          additionalProperties: false,
          required: ["type", "registers"],
          properties: {
            type: { const: "raw" },
            registers: { type: "object", additionalProperties: false, required: ["r1", "r2"], properties: { r1: { type: "string" }, r2: { type: "string" } } },
          },
        },
      ],
    },
    entry_points: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "file"],
        properties: { name, file: bundlePath, section: { type: "string" }, symbol: { type: "string" }, offset: u32 },
      },
    },
    files: {
      type: "array",
      items: { type: "object", additionalProperties: false, required: ["path", "sha256", "size"], properties: { path: bundlePath, sha256, size: { type: "integer", minimum: 0 } } },
    },
    resources: { type: "object" },
  },
  // Each target states its resource use in its own terms.
  allOf: [
    {
      if: { required: ["target"], properties: { target: { const: "bpf" } } },
      then: {
        properties: {
          resources: {
            type: "object",
            additionalProperties: false,
            required: ["instructions", "stack_bytes", "subprograms", "helpers", "maps"],
            properties: {
              instructions: { type: "integer", minimum: 1 },
              stack_bytes: { type: "integer", minimum: 0, maximum: 512 },
              subprograms: { type: "integer", minimum: 0 },
              helpers: { type: "array", items: { type: "integer" } },
              maps: { type: "integer", minimum: 0 },
            },
          },
        },
      },
    },
    {
      // The engine's own fields (rom, maps, engine parameters) grow with the engine; the
      // resource estimate and the synthesis figures are fixed here, for tools that read them.
      if: { required: ["target"], properties: { target: { const: "fpga" } } },
      then: {
        properties: {
          resources: {
            type: "object",
            required: ["instructions", "rom_depth", "rom_image", "helpers", "maps", "engine", "estimate"],
            properties: {
              instructions: { type: "integer", minimum: 1 },
              rom_depth: { type: "integer", minimum: 1 },
              rom_image: bundlePath,
              estimate: {
                type: "object",
                additionalProperties: false,
                required: ["memories", "memory_bits", "block_rams", "logic"],
                properties: {
                  memories: {
                    type: "array",
                    items: {
                      type: "object",
                      additionalProperties: false,
                      required: ["name", "instance", "depth", "width", "banks", "read_ports", "bits"],
                      properties: { name, instance: name, depth: { type: "integer", minimum: 1 }, width: { type: "integer", minimum: 1 }, banks: { type: "integer", minimum: 1 }, read_ports: { enum: [1, 2] }, bits: { type: "integer", minimum: 1 } },
                    },
                  },
                  memory_bits: { type: "integer", minimum: 0 },
                  block_rams: {
                    type: "object",
                    additionalProperties: {
                      type: "object",
                      additionalProperties: false,
                      required: ["primitive", "count"],
                      properties: { primitive: name, count: { type: "integer", minimum: 0 } },
                    },
                  },
                  logic: { type: "string" },
                },
              },
              synth: {
                type: "object",
                additionalProperties: {
                  type: "object",
                  additionalProperties: false,
                  required: ["tool", "luts", "flip_flops", "block_rams", "dsps", "unmapped_memories", "logic_depth"],
                  properties: {
                    tool: name,
                    luts: { type: "integer", minimum: 0 },
                    flip_flops: { type: "integer", minimum: 0 },
                    block_rams: { type: "integer", minimum: 0 },
                    dsps: { type: "integer", minimum: 0 },
                    unmapped_memories: { type: "integer", minimum: 0 },
                    logic_depth: { type: "integer", minimum: 0 },
                  },
                },
              },
            },
          },
        },
      },
    },
    {
      // The NPU's microcode: its size against the control store, the image files, the machine it was built for.
      if: { required: ["target"], properties: { target: { const: "npu" } } },
      then: {
        properties: {
          resources: {
            type: "object",
            additionalProperties: false,
            required: ["microwords", "control_store_words", "image", "image_hex", "listing", "descriptor", "bpf_instructions", "microwords_per_bpf_instruction", "functions", "spill_slots", "engine"],
            properties: {
              microwords: { type: "integer", minimum: 1 },
              control_store_words: { type: "integer", minimum: 1 },
              image: bundlePath,
              image_hex: bundlePath,
              listing: bundlePath,
              descriptor: bundlePath,
              bpf_instructions: { type: "integer", minimum: 1 },
              microwords_per_bpf_instruction: { type: "number", minimum: 0 },
              functions: {
                type: "array",
                minItems: 1,
                items: { type: "object", additionalProperties: false, required: ["name", "at"], properties: { name, at: { type: "integer", minimum: 0 } } },
              },
              spill_slots: { type: "integer", minimum: 0 },
              // With tail calls (a prog_array): every program of the object, its tail-call table slot and first word.
              tail_call_entries: {
                type: "array",
                minItems: 1,
                items: { type: "object", additionalProperties: false, required: ["program", "table", "at"], properties: { program: name, table: { type: "integer", minimum: 1 }, at: { type: "integer", minimum: 0 } } },
              },
              engine: {
                type: "object",
                additionalProperties: false,
                required: ["engines", "threads", "clock_mhz"],
                properties: { engines: { type: "integer", minimum: 1 }, threads: { type: "integer", minimum: 1, maximum: 8 }, clock_mhz: { type: "number", exclusiveMinimum: 0 } },
              },
            },
          },
        },
      },
    },
    {
      // A match-action pipeline (docs/asic-pipeline.md): what the chip's compiler would
      // summarise; the per-stage figures are in the report file it names.
      if: { required: ["target"], properties: { target: { enum: ["asic", "asic_small"] } } },
      then: {
        properties: {
          resources: {
            type: "object",
            additionalProperties: false,
            required: ["stages_used", "stages", "sram_blocks", "tcam_blocks", "phv_bits", "phv_bits_total", "logical_tables", "tables", "parser_states", "report"],
            properties: {
              stages_used: { type: "integer", minimum: 0 },
              stages: { type: "integer", minimum: 1 },
              sram_blocks: { type: "integer", minimum: 0 },
              tcam_blocks: { type: "integer", minimum: 0 },
              phv_bits: { type: "integer", minimum: 0 },
              phv_bits_total: { type: "integer", minimum: 1 },
              logical_tables: { type: "integer", minimum: 0 },
              tables: {
                type: "array",
                items: { type: "object", additionalProperties: false, required: ["name", "kind"], properties: { name, kind: { enum: ["exact", "ternary", "register"] } } },
              },
              parser_states: { type: "integer", minimum: 1 },
              report: bundlePath,
            },
          },
        },
      },
    },
  ],
} as const;

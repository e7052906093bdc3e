// Target descriptors validate against their schema, and the offload check names every
// construct a device lacks, with its instruction index.
import { describe, expect, it } from "vitest";
import { assemble } from "../../frontends/bpf/asm/assemble.js";
import { listTargets, loadTarget, validateDescriptor, type TargetDescriptor } from "../../offload-hooks/descriptor.js";
import { checkOffload } from "../../offload-hooks/check.js";

const messages = (src: string, target: TargetDescriptor, type: "xdp" | "raw" = "raw") =>
  checkOffload(assemble(src, "t.s"), 0, type, target).map((d) => `${d.loc.insn ?? "-"}: ${d.message}`);

describe("target descriptors", () => {
  it("every shipped descriptor validates", () => {
    expect(listTargets()).toEqual(expect.arrayContaining(["bpf", "fpga"]));
    for (const t of listTargets()) expect(loadTarget(t).name).toBe(t);
  });
  it("a descriptor that breaks the schema is refused with the reason", () => {
    const bad = { ...loadTarget("fpga"), helpers: ["map_lookup_elem"] };
    expect(() => validateDescriptor(bad, "bad.json")).toThrow(/bad\.json does not match target\.schema\.json: \/helpers\/0 must be integer/);
    expect(() => validateDescriptor({ ...loadTarget("fpga"), colour: "red" }, "x.json")).toThrow(/must NOT have additional properties/);
  });
  it("an unknown target lists the known ones", () => {
    expect(() => loadTarget("quantum")).toThrow(/no target descriptor 'quantum' \(targets: .*fpga/);
  });
});

describe("offload check", () => {
  const fpga = () => loadTarget("fpga");
  /** The fpga descriptor with more map kinds than the engine has (array only): the checker's map rules on every kind. */
  const withMaps = (): TargetDescriptor => ({
    ...fpga(),
    program_types: ["xdp", "raw"],
    maps: { kinds: ["array", "hash", "lpm_trie", "tcam"], max_entries: 4096, max_key_size: 64, max_value_size: 256, max_total_bytes: 1048576 },
  });
  it("accepts what the device has", () => {
    expect(messages("call 5\nmov %r0, 2\nexit", fpga())).toEqual([]);
  });
  it("the shipped fpga descriptor refuses what the engine lacks: helpers it does not compute, map kinds it has no unit for, legacy packet loads", () => {
    expect(fpga().program_types).toEqual(["xdp", "raw"]);
    expect(messages("mov %r0, 2\nexit", fpga(), "xdp")).toEqual([]);
    expect(messages("mov %r2, 14\ncall 44\nmov %r2, 0\ncall 65\nmov %r2, 0\ncall 54\nexit", fpga(), "xdp")).toEqual([]);
    expect(messages("mov %r2, 14\ncall 28\nexit", fpga(), "xdp")).toEqual([
      "1: target fpga does not support helper csum_diff (28)",
    ]);
    expect(fpga().helpers).toEqual([1, 2, 3, 5, 7, 8, 12, 23, 44, 51, 54, 65]);
    expect(fpga().maps).toEqual({ kinds: ["array", "percpu_array", "hash", "percpu_hash", "lru_hash", "lpm_trie", "tcam", "prog_array", "devmap"], max_entries: 65535, max_key_size: 20, max_value_size: 16384, max_total_bytes: 65536 });
    expect(messages(".map m array key=4 value=8 entries=1\nldabsb 3\nmov %r0, 2\nexit", fpga())).toEqual([
      "0: target fpga does not support ldabsb (instruction group packet)",
    ]);
    expect(messages(".map m array key=4 value=16 entries=70000\n.map l lru_hash key=24 value=8 entries=4\n.map k hash key=16 value=8 entries=4\nmov %r0, 2\nexit", fpga())).toEqual([
      "-: target fpga does not support map 'm' with 70000 entries (at most 65535)",
      "-: target fpga does not support map 'l' with 24-byte keys (at most 20)",
      "-: target fpga does not support 1400224 bytes of map memory (the device has 65536)",
    ]);
  });
  it("names a missing helper at its instruction", () => {
    const t: TargetDescriptor = { ...withMaps(), helpers: [5, 7, 8] };
    expect(messages(".map m hash key=4 value=4 entries=4\nmov %r0, 0\nstw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(m)\ncall 1\nexit", t)).toEqual([
      "6: target fpga does not support helper map_lookup_elem (1)",
    ]);
  });
  it("names tail calls, callx, and instruction groups", () => {
    const t: TargetDescriptor = { ...fpga(), isa: { groups: ["base32", "base64"] } };
    expect(messages("mov %r1, 3\nmov %r0, 2\nmul %r0, %r1\nlock add [%r10-8], %r1\ncall %r1\nexit", t)).toEqual([
      "2: target fpga does not support mul (instruction group divmul64)",
      "3: target fpga does not support lock add (instruction group atomic64)",
      "4: target fpga does not support callx (indirect calls)",
    ]);
  });
  it("names loops on a device without back edges", () => {
    const t: TargetDescriptor = { ...fpga(), limits: { ...fpga().limits, back_edges: false } };
    expect(messages("mov %r0, 3\nloop:\nsub %r0, 1\njne %r0, 0, loop\nexit", t)).toEqual(["2: target fpga does not support a backward jump to instruction 1 (loops must be unrolled for this target)"]);
  });
  it("names maps that do not fit, and programs that are too long", () => {
    const t: TargetDescriptor = { ...withMaps(), limits: { ...fpga().limits, max_instructions: 2 } };
    expect(messages(".map big hash key=128 value=8 entries=100000\n.map d devmap key=4 value=4 entries=4\nmov %r0, 2\nmov %r0, 2\nexit", t)).toEqual([
      "-: target fpga does not support 3 instructions (the limit is 2)",
      "-: target fpga does not support map 'big' with 100000 entries (at most 4096)",
      "-: target fpga does not support map 'big' with 128-byte keys (at most 64)",
      "-: target fpga does not support map 'd' of kind devmap",
      "-: target fpga does not support 13600032 bytes of map memory (the device has 1048576)",
    ]);
  });
});

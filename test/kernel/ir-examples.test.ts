// The examples compiled by bpfoff (clang's object lifted to IR, optimised, compiled back by
// `bpfoff build --target bpf`) pass the Linux verifier and give, on every packet, the
// verdict, packet and maps that the independent models give (requires: clang, kernel-bpf).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildInMemory } from "../../backends/common/pipeline.js";
import { loadElf } from "../../frontends/bpf/elf/load.js";
import { clangBuild, clangMissing, exampleSource } from "../backends/bpf/support.js";
import { runInKernel } from "../examples/kernel.js";
import { canonicalMaps, MODELS, runModel } from "../examples/models.js";
import { buildExamples } from "../examples/packets.js";
import { hasTool, IN_CI } from "../support/requires.js";

describe("bpfoff-compiled examples on the kernel (requires: clang, kernel-bpf)", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-kir-"));
  for (const example of buildExamples()) {
    it.skipIf(clangMissing !== undefined)(example.name, (ctx) => {
      const src = clangBuild(exampleSource(example.name), dir, example.name);
      const bytes = readFileSync(src);
      const files = buildInMemory({ object: loadElf(bytes, src), file: src, bytes, target: "bpf" });
      const prog = join(dir, `${example.name}.bpfoff.o`);
      writeFileSync(prog, files.find(([path]) => path === "prog.o")![1]);
      const packets = example.packets.map((p) => p.data);
      const kernel = runInKernel(prog, packets, example.maps);
      if ("skipped" in kernel) {
        console.warn(`SKIPPED (requires kernel-bpf): ${kernel.skipped}`);
        if (IN_CI && !hasTool("bpftool", ["version"])) throw new Error(`bpftool is missing under CI=true: ${kernel.skipped}`);
        ctx.skip();
        return;
      }
      const model = runModel(MODELS[example.name], packets, example.maps);
      expect(kernel.packets.map((k) => `${k.verdict} ${Buffer.from(k.packet).toString("hex")}`)).toEqual(model.results.map((m) => `${m.verdict} ${Buffer.from(m.packet).toString("hex")}`));
      expect(canonicalMaps(kernel.maps, example.arrayMaps)).toEqual(canonicalMaps(model.maps, example.arrayMaps));
    });
  }
});

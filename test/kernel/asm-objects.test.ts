// bpfoff's own objects on the Linux kernel (requires: kernel-bpf): assembled programs,
// written by the ELF writer with their subprograms in .text as clang lays them out, load
// with bpftool and give, packet by packet, what the interpreter gives.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../../frontends/bpf/asm/assemble.js";
import { writeElf } from "../../backends/bpf/elf-writer.js";
import { newHostState } from "../../runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../../runtime/interp/run.js";
import { runInKernel } from "../examples/kernel.js";
import { hasTool, IN_CI } from "../support/requires.js";
import { XDP_PROGRAMS } from "../support/xdp-programs.js";

const PROGRAMS = XDP_PROGRAMS;

const packets = [Uint8Array.from({ length: 60 }, (_, i) => i * 7), new Uint8Array(60).fill(0xff), new Uint8Array(14).fill(0x11), Uint8Array.from({ length: 64 }, (_, i) => 255 - i)];

describe("assembled objects on the kernel (requires: kernel-bpf)", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-kasm-"));
  for (const [name, src] of Object.entries(PROGRAMS)) {
    it(name, (ctx) => {
      const obj = assemble(src, `${name}.s`);
      const path = join(dir, `${name.replace(/\W+/g, "_")}.o`);
      writeFileSync(path, writeElf({ ...obj, programs: [{ ...obj.programs[0]!, name: "prog", section: "xdp" }], license: "GPL" }));
      const kernel = runInKernel(path, packets, {});
      if ("skipped" in kernel) {
        console.warn(`SKIPPED (requires kernel-bpf): ${kernel.skipped}`);
        // bpftool is the set-up's to install; the kernel's permission is the machine's to give.
        if (IN_CI && !hasTool("bpftool", ["version"])) throw new Error(`bpftool is missing under CI=true: ${kernel.skipped}`);
        ctx.skip();
        return;
      }
      const maps = instantiateMaps(obj);
      const host = newHostState();
      packets.forEach((p, i) => {
        const ours = runXdp(obj, p, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
        const theirs = kernel.packets[i]!;
        expect(`${i}: ${ours.r0}`).toBe(`${i}: ${theirs.retval}`);
        expect(Buffer.from(ours.packet).toString("hex")).toBe(Buffer.from(theirs.packet).toString("hex"));
      });
    });
  }
});

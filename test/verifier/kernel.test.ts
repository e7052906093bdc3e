// The Linux verifier as a peer (requires: kernel-bpf, and clang for the C corpus): every
// corpus program the kernel can load as XDP (assembled programs without maps, written by
// writeElf; the C programs, built by clang) gets the same verdict from both verifiers,
// except the differences docs/verifier.md lists, each named in KNOWN_DIFFERENCES.
// Raw-type programs have no kernel counterpart; assembled programs with maps would need
// BTF maps (libbpf 1.x refuses legacy ones), so their C versions stand in for them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { writeElf } from "../../backends/bpf/elf-writer.js";
import { loadElf } from "../../frontends/bpf/elf/load.js";
import { readFileSync } from "node:fs";
import { verify } from "../../verifier/verify.js";
import { kernelUnavailable } from "../examples/kernel.js";
import { requireOrSkip } from "../support/requires.js";
import { asmCorpus, cCorpusFiles, cExpect, clangAvailable, compileBpf } from "./corpus.js";

/** Programs where the kernel and bpfoff disagree on purpose (docs/verifier.md, "Differences"). */
export const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {
  // A privileged loader (root: allow_uninit_stack) may read uninitialised stack; bpfoff never
  // allows it, because hardware targets must not depend on stale stack contents.
  "unsafe/stack_uninit_read.s": "uninitialised stack read: allowed to root by the kernel, refused by bpfoff",
  "unsafe/stack_partly_init.s": "partly initialised stack read: allowed to root by the kernel, refused by bpfoff",
  // A privileged loader (allow_ptr_leaks) may return a pointer; bpfoff refuses: an address is
  // meaningless on an offload target and differs between engines.
  "unsafe/return_pointer.s": "returning a stack pointer: allowed to root by the kernel, refused by bpfoff",
  "unsafe/return_pkt_pointer.s": "returning a packet pointer: allowed to root by the kernel, refused by bpfoff",
};

const REFUSED = /Operation not permitted|EPERM|not supported|EOPNOTSUPP|ENOSYS/;

type KernelVerdict = { accepted: boolean; log: string } | { skipped: string };

function kernelLoad(objectPath: string): KernelVerdict {
  const pin = `/sys/fs/bpf/bpfoff-verify-${process.pid}-${randomBytes(4).toString("hex")}`;
  const r = spawnSync("bpftool", ["-d", "prog", "load", objectPath, pin, "type", "xdp"], { encoding: "utf8" });
  if (r.status === 0) {
    unlinkSync(pin);
    return { accepted: true, log: "" };
  }
  const all = `${r.stderr}${r.stdout}`;
  if (!/processed \d+ insns|BEGIN PROG LOAD LOG|-- END PROG LOAD LOG --/.test(all) && REFUSED.test(all)) return { skipped: all.trim().split("\n").slice(-3).join(" ") };
  return { accepted: false, log: all.split("\n").filter((l) => !/^libbpf: |^$/.test(l)).slice(-6).join("\n") };
}

const unavailable = kernelUnavailable();
const work = mkdtempSync(join(tmpdir(), "bpfoff-kverify-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the kernel verifier agrees (requires: kernel-bpf)", () => {
  const cases: { name: string; build: () => string; ours: () => boolean }[] = [];
  for (const p of [...asmCorpus("safe"), ...asmCorpus("unsafe")]) {
    if (p.type !== "xdp" || p.object.maps.length > 0) continue;
    cases.push({
      name: `${p.safe ? "safe" : "unsafe"}/${p.name}.s`,
      build: () => {
        const path = join(work, `${p.name}.o`);
        writeFileSync(path, writeElf({ ...p.object, programs: [{ ...p.object.programs[0]!, name: "prog", section: "xdp" }], license: "GPL" }));
        return path;
      },
      ours: () => verify(p.object, 0, { type: "xdp" }).ok,
    });
  }
  for (const file of cCorpusFiles()) {
    const name = `c/${file.split("/").pop()}`;
    const out = join(work, `${name.replace(/\W/g, "_")}.o`);
    cases.push({
      name,
      build: () => {
        compileBpf(file, out);
        return out;
      },
      ours: () => verify(loadElf(readFileSync(out), out), 0, { type: "xdp" }).ok,
    });
  }
  for (const c of cases) {
    it(c.name, () => {
      if (!requireOrSkip("kernel-bpf", unavailable === undefined, unavailable ?? "")) return;
      if (c.name.endsWith(".c") && !requireOrSkip("clang", clangAvailable(), "clang not found on PATH")) return;
      const path = c.build();
      const kernel = kernelLoad(path);
      if ("skipped" in kernel) {
        requireOrSkip("kernel-bpf", false, kernel.skipped);
        return;
      }
      const ours = c.ours();
      if (KNOWN_DIFFERENCES[c.name]) {
        expect(ours, `${c.name} is a known difference: ${KNOWN_DIFFERENCES[c.name]}`).not.toBe(kernel.accepted);
        return;
      }
      expect(ours, `bpfoff ${ours ? "accepts" : "rejects"}, the kernel ${kernel.accepted ? "accepts" : "rejects"}:\n${kernel.log}`).toBe(kernel.accepted);
    });
  }
});

describe("the C corpus (requires: clang)", () => {
  for (const file of cCorpusFiles()) {
    it(file.split("/").pop()!, () => {
      if (!requireOrSkip("clang", clangAvailable(), "clang not found on PATH")) return;
      const out = join(work, `own-${file.split("/").pop()}.o`);
      compileBpf(file, out);
      const r = verify(loadElf(readFileSync(out), out), 0, { type: "xdp" });
      const want = cExpect(file);
      if (want === undefined) expect(r.ok, r.ok ? "" : r.diagnostics[0]!.message).toBe(true);
      else expect(!r.ok && r.diagnostics[0]!.message).toContain(want);
    });
  }
});

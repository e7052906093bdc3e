// The verifier over the BPF conformance suite as raw programs (--type raw): how many it
// accepts, and a named reason for every rejection. The suite's programs read their input
// memory without comparing r2 (its length) first, so most are refused for that; the
// figures go to docs/verifier.md.
import { describe, expect, it } from "vitest";
import { assemble } from "../../frontends/bpf/asm/assemble.js";
import { decodeSlots } from "../../ir/bpf/codec.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { verify } from "../../verifier/verify.js";
import { conformanceAvailable, conformanceFiles, parseConformance } from "../support/conformance.js";
import { requireOrSkip } from "../support/requires.js";

/** Reason classes: every rejection must fall in one. */
const REASONS: readonly [string, RegExp][] = [
  ["memory read or written without a length check", /invalid access to memory/],
  ["uninitialised register read", /!read_ok/],
  ["uninitialised stack read", /invalid (indirect )?read from stack/],
  ["loop not proved bounded", /infinite loop|too large/],
  ["call depth", /too deep/],
  ["unknown or unsupported helper / call", /invalid func|callx|kfunc|not allowed in raw|only allowed in XDP/],
  ["legacy packet load (LD_ABS/IND)", /LD_\[ABS\|IND\]/],
  ["pointer arithmetic or comparison", /pointer|leaks addr/],
  ["stack bounds or spill", /stack|register (fill|spill)/],
  ["memory access through a scalar", /invalid mem access 'scalar'/],
  ["control flow (jump range, unreachable code, bad lddw)", /jump|unreachable|falls through|lddw|opcode/],
  ["map access", /map/],
];

describe("the conformance suite as raw programs", () => {
  it("accepts some and names the reason for every rejection", () => {
    if (!requireOrSkip("bpf_conformance", conformanceAvailable(), "../shared/bpf_conformance is missing")) return;
    const counts = new Map<string, number>();
    let accepted = 0;
    let total = 0;
    const unnamed: string[] = [];
    for (const file of conformanceFiles("tests")) {
      const c = parseConformance(file);
      let object: BpfObject;
      try {
        object = c.asm !== undefined ? assemble(c.asm, file) : { programs: [{ name: c.name, section: "", slots: decodeSlots(c.raw!, file), functions: new Map() }], maps: [], mapInit: new Map(), license: "" };
      } catch {
        continue; // not a program the assembler or decoder takes: the interpreter tests cover these
      }
      total++;
      const r = verify(object, 0, { type: "raw" });
      if (r.ok) {
        accepted++;
        continue;
      }
      const msg = r.diagnostics[0]!.message;
      const reason = REASONS.find(([, re]) => re.test(msg))?.[0];
      if (!reason) unnamed.push(`${c.name}: ${msg}`);
      else counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    console.log(`conformance (raw): ${accepted}/${total} accepted; rejected: ${JSON.stringify(Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])))}`);
    expect(unnamed, unnamed.join("\n")).toEqual([]);
    expect(accepted).toBeGreaterThan(0);
  });
});

// The P4-16 frontend on its corpus (test/frontends/p4/corpus): each X.p4 has
//   X.expected.ir  its IR after P4_PIPELINE (the default pipeline without mem2reg) (golden; UPDATE_GOLDEN=1 rewrites it),
//   X.stf          p4c STF packet tests, run by `bpfoff test` on the interpreter,
// and builds for the bpf target (the verifier accepts what the lowering produced).
// Error cases (test/frontends/p4/errors/X.p4) have X.expected.err: the CLI's stderr.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileP4 } from "../../../frontends/p4/index.js";
import { runPasses } from "../../../ir/passes/index.js";
import { P4_PIPELINE } from "../../../cli/load-p4.js";
import { printModule } from "../../../ir/text/print.js";
import { REPO } from "../../support/conformance.js";
import { expectGolden } from "../../support/golden.js";
import { runCli } from "../../support/cli.js";

const CORPUS = join(REPO, "test/frontends/p4/corpus");
const ERRORS = join(REPO, "test/frontends/p4/errors");
const programs = readdirSync(CORPUS).filter((f) => f.endsWith(".p4")).sort();

describe("P4 corpus: golden IR", () => {
  for (const file of programs) {
    it(file, () => {
      const path = join(CORPUS, file);
      const p4 = compileP4(readFileSync(path, "utf8"), `test/frontends/p4/corpus/${file}`);
      expectGolden(path.replace(/\.p4$/, ".expected.ir"), printModule(runPasses(p4.module, P4_PIPELINE)));
    });
  }
});

describe("P4 corpus: STF tests on the interpreter", () => {
  for (const file of programs) {
    it(file, async () => {
      const r = await runCli(["test", `test/frontends/p4/corpus/${file}`, "--stf", `test/frontends/p4/corpus/${file.replace(/\.p4$/, ".stf")}`], REPO);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/met on interp/);
    });
  }
});

describe("P4 corpus: build --target bpf", () => {
  for (const file of programs) {
    it(file, async () => {
      const out = join(mkdtempSync(join(tmpdir(), "bpfoff-p4-")), "bundle");
      const r = await runCli(["build", `test/frontends/p4/corpus/${file}`, "--target", "bpf", "-o", out], REPO);
      if (compileP4(readFileSync(join(CORPUS, file), "utf8"), file).tables.some((t) => t.mapKind === "tcam")) {
        // A ternary or range table is a tcam map, which the Linux kernel does not have.
        expect(r.stderr).toMatch(/target bpf does not support map '\w+' of kind tcam/);
        expect(r.code).toBe(1);
        return;
      }
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
  }
});

describe("P4 errors (golden diagnostics)", () => {
  for (const file of readdirSync(ERRORS).filter((f) => f.endsWith(".p4")).sort()) {
    it(file, async () => {
      const r = await runCli(["build", `test/frontends/p4/errors/${file}`, "--target", "bpf", "-o", join(tmpdir(), "bpfoff-p4-never")], REPO);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(/bug|at .*\.js/);
      expectGolden(join(ERRORS, file.replace(/\.p4$/, ".expected.err")), r.stderr);
    });
  }
});

describe("range keys from the control plane", () => {
  it("port_ranges: the same rules from a JSON entries file ({range: {low, high}}, lo..hi) meet the STF's expectations", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-ranges-"));
    const { writeFileSync } = await import("node:fs");
    const stf = readFileSync(join(CORPUS, "port_ranges.stf"), "utf8");
    // Without the STF's add lines: the entries come from the JSON file alone.
    writeFileSync(join(dir, "packets.stf"), stf.split("\n").filter((l) => !l.startsWith("add ")).join("\n"));
    const r = await runCli(["test", "test/frontends/p4/corpus/port_ranges.p4", "--stf", join(dir, "packets.stf"), "--entries", "test/frontends/p4/corpus/port_ranges.entries.json"], REPO);
    expect([r.stderr, r.code]).toEqual(["", 0]);
    expect(r.stdout).toMatch(/9 packets, 5 expectations met on interp/);
    // Without entries every packet misses and is dropped: the expectations fail.
    const none = await runCli(["test", "test/frontends/p4/corpus/port_ranges.p4", "--stf", join(dir, "packets.stf")], REPO);
    expect(none.code).toBe(1);
  });

  it("a bad range names the file and line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-ranges-"));
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "bad.stf"), "# a reversed range\nadd pipe_filter 1 headers.ipv4.protocol:6 headers.ports.dstPort:20..10 deny()\n");
    const r = await runCli(["test", "test/frontends/p4/corpus/port_ranges.p4", "--stf", join(dir, "bad.stf")], REPO);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bpfoff: error: .*bad\.stf:2:1: range 20\.\.10 of key headers\.ports\.dstPort is empty \(low > high\)/);
  });
});

describe("STF failures are reported", () => {
  it("a wrong expectation exits 1 naming the line and both packets", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-stf-"));
    const stf = join(dir, "bad.stf");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(stf, "add pipe_dmac key.field0:0x1 forward(1)\npacket 0 000000000001 000000000002 0800\nexpect 0 000000000009\npacket 0 000000000005 000000000002 0800\nexpect 0 00000000000*\n");
    const r = await runCli(["test", "test/frontends/p4/corpus/l2_switch.p4", "--stf", stf], REPO);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`bad.stf:3: packet 1 on port 0 differs`);
    expect(r.stdout).toContain(`bad.stf:5: expected a packet on port 0, none came out`);
  });
});

describe("STF control-plane commands and counter checks", () => {
  const run = async (stf: string, program = "l2_switch") => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-stf-"));
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "t.stf"), stf);
    return runCli(["test", `test/frontends/p4/corpus/${program}.p4`, "--stf", join(dir, "t.stf")], REPO);
  };

  it("a counter check that does not hold is a failure naming the line, the counter and both numbers", async () => {
    const r = await run("add pipe_dmac key.field0:0x000000000001 forward(1)\npacket 0 000000000001 000000000002 0800\nexpect 0\ncheck_counter forwarded(1) packets == 2\n");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/t\.stf:4: counter pipe_forwarded\(1\) is 1, expected == 2/);
  });

  it("setdefault changes what a miss runs; remove takes an entry out", async () => {
    const ok = await run("setdefault pipe_dmac forward(port:3)\npacket 0 000000000009 000000000002 0800\nexpect 0 000000000009 000000000002 0800 $\ncheck_counter forwarded(3) == 1\n");
    expect([ok.stderr, ok.code]).toEqual(["", 0]);
    // Without the setdefault the same packet is dropped: the expectation fails.
    const without = await run("packet 0 000000000009 000000000002 0800\nexpect 0 000000000009 000000000002 0800 $\n");
    expect(without.code).toBe(1);
    const removed = await run("add pipe_dmac key.field0:0x000000000001 forward(1)\nremove pipe_dmac key.field0:0x000000000001\npacket 0 000000000001 000000000002 0800\nexpect 0\n");
    expect(removed.stdout).toMatch(/expected a packet on port 0, none came out/);
  });

  it("a const default_action has no default-action map, and setdefault on it is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-stf-"));
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "c.p4"), readFileSync(join(CORPUS, "l2_switch.p4"), "utf8").replace("default_action = drop();", "const default_action = drop();"));
    writeFileSync(join(dir, "t.stf"), "setdefault pipe_dmac forward(1)\n");
    expect(compileP4(readFileSync(join(dir, "c.p4"), "utf8"), "c.p4").module.maps.map((m) => m.name)).toEqual(["pipe_forwarded", "pipe_dmac"]);
    const r = await runCli(["test", join(dir, "c.p4"), "--stf", join(dir, "t.stf")], REPO);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/t\.stf:1:1: the default action of pipe_dmac is const: the control plane cannot change it/);
  });

  const bad: [string, string, RegExp][] = [
    ["an unknown command", "frobnicate 1\n", /t\.stf:1:1: STF command 'frobnicate' is not supported \(add, setdefault, remove, packet, expect, check_counter, wait\)/],
    ["remove with an action", "remove pipe_dmac key.field0:1 drop()\n", /t\.stf:1:31: remove names an entry by its key matches, without an action/],
    ["a counter that does not exist", "check_counter nope(1)\n", /t\.stf:1:1: no counter 'nope' \(maps: /],
    ["a bad comparison", "check_counter forwarded(1) packets ~ 3\n", /t\.stf:1:1: '~ 3' is not a comparison/],
    ["setdefault of an action the table lacks", "setdefault pipe_dmac nope()\n", /t\.stf:1:1: table pipe_dmac has no action 'nope'/],
    ["removing an entry that is not there", "remove pipe_dmac key.field0:0x5\n", /t\.stf:1:1: cannot remove the entry from pipe_dmac: -ENOENT/],
  ];
  for (const [name, stf, re] of bad) {
    it(`refuses ${name} with file:line:col`, async () => {
      const r = await run(stf);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/at .*\.js/);
    });
  }
});

describe("P4 externs leave their state in maps", () => {
  it("flow_stats: counters per input port, the register holds the last xor16 flow hash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-p4-externs-"));
    const { writeFileSync } = await import("node:fs");
    const { writePcap } = await import("../../../runtime/packet/pcap.js");
    const packets = readFileSync(join(CORPUS, "flow_stats.stf"), "utf8").split("\n").filter((l) => l.startsWith("packet")).map((l) => Uint8Array.from(Buffer.from(l.split(/\s+/)[2]!, "hex")));
    writeFileSync(join(dir, "in.pcap"), writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: packets.map((data) => ({ tsSec: 0, tsFrac: 0, origLen: data.length, data })) }));
    const r = await runCli(["run", "test/frontends/p4/corpus/flow_stats.p4", "--pcap", join(dir, "in.pcap"), "--maps-out", join(dir, "maps.json")], REPO);
    expect(r.stderr).toBe("");
    const maps = JSON.parse(readFileSync(join(dir, "maps.json"), "utf8")) as Record<string, { key: string[]; value: string[] }[]>;
    const at = (m: string, port: number) => Buffer.from(maps[m]![port]!.value.map((x) => Number(x))).readUIntLE(0, maps[m]![port]!.value.length >= 6 ? 6 : 4);
    // Port 1 (--ifindex default 1): two IPv4 packets of 38 bytes and one IPv6 of 58 were counted.
    expect([at("Pipe_packets", 1), at("Pipe_bytes", 1), at("Pipe_packets", 0)]).toEqual([3, 134, 0]);
    // xor16 of 0a00 0001 0a00 0002 0600 (the last counted IPv4 packet's flow)
    expect(at("Pipe_lastFlow", 1)).toBe(0x0603);
  });
});

describe("broken sources give diagnostics, never a crash", () => {
  // Deterministic mutants of corpus programs: 3 characters cut out, or a stray `}` or
  // `8w1` put in, every so often. Each must compile or fail with user errors only.
  for (const file of ["ipv4_router.p4", "vlan_parser.p4"]) {
    it(file, async () => {
      const { DiagnosticError } = await import("../../../ir/diag/diag.js");
      const text = readFileSync(join(CORPUS, file), "utf8");
      const mutants: string[] = [];
      for (let i = 0; i < text.length; i += 59) mutants.push(text.slice(0, i) + text.slice(i + 3));
      for (let i = 7; i < text.length; i += 173) mutants.push(text.slice(0, i) + "}" + text.slice(i), text.slice(0, i) + " 8w1 " + text.slice(i));
      const crashes: string[] = [];
      for (const m of mutants) {
        try {
          compileP4(m, `test/frontends/p4/corpus/${file}`);
        } catch (e) {
          if (!(e instanceof DiagnosticError) || e.diagnostics.some((d) => d.severity !== "error" || d.loc.line === undefined)) crashes.push(String((e as Error).message).slice(0, 200));
        }
      }
      expect(crashes).toEqual([]);
    }, 120_000);
  }
});

describe("the other commands read .p4 too", () => {
  it("verify, disasm and ir", async () => {
    const v = await runCli(["verify", "test/frontends/p4/corpus/vlan_parser.p4"], REPO);
    expect([v.code, v.stderr]).toEqual([0, ""]);
    expect(v.stdout).toMatch(/^accepted: \d+ instructions processed/);
    const d = await runCli(["disasm", "test/frontends/p4/corpus/l2_switch.p4"], REPO);
    expect(d.stdout).toMatch(/^# program main \(section xdp\)\nldxw %r2, \[%r1\+0\]\n/);
    const ir = await runCli(["ir", "test/frontends/p4/corpus/l2_switch.p4"], REPO);
    expect(ir.stdout).toMatch(/map @pipe_dmac hash key=8 value=8 entries=64 flags=0/);
    // The frontend's IR keeps the table lookup as table.apply (key fields with their match
    // kinds); the lower-tables pass turns it into the key on the stack and map.lookup.
    expect(ir.stdout).toMatch(/%\d+ = table\.apply @pipe_dmac, exact, 48, %\d+ : ptr\.map_value/);
    const lowered = await runCli(["ir", "test/frontends/p4/corpus/l2_switch.p4", "--passes", "lower-tables"], REPO);
    expect(lowered.stdout).not.toContain("table.apply");
    expect(lowered.stdout).toMatch(/store\.u64 stack, %\d+, -\d+, %\d+\n  %\d+ = ptradd %\d+, -\d+ : ptr\.stack\n  %\d+ = map\.lookup @pipe_dmac/);
  });
});

describe("run-time stack indices in a parser", () => {
  it("hs[i] reads element i; an index past the stack rejects (error.StackOutOfBounds)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-p4-index-"));
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "idx.p4"), `#include <core.p4>
#include <ebpf_model.p4>
header h_t { bit<8> i; }
header e_t { bit<8> v; }
struct H { h_t h; e_t[2] s; }
parser prs(packet_in p, out H hd) {
    state start {
        p.extract(hd.h);
        p.extract(hd.s.next);
        p.extract(hd.s.next);
        transition select(hd.s[hd.h.i].v) {
            0xaa: accept;
            0: accept;
            default: reject;
        }
    }
}
control pipe(inout H hd, out bool pass) {
    apply {
        pass = true;
    }
}
ebpfFilter(prs(), pipe()) main;
`);
    writeFileSync(join(dir, "idx.stf"), "# element 0 is aa: accepted\npacket 0 00aabb\nexpect 0 00aabb $\n# element 1 is bb: rejected\npacket 0 01aabb\n# index 2 is past the stack: StackOutOfBounds, rejected (not read as a zero element, which 0 would accept)\npacket 0 02aaaa\npacket 0 01bbaa\nexpect 0 01bbaa $\n");
    const r = await runCli(["test", join(dir, "idx.p4"), "--stf", join(dir, "idx.stf")], REPO);
    expect([r.stderr, r.code]).toEqual(["", 0]);
    expect(r.stdout).toMatch(/4 packets, 2 expectations met on interp/);
  });
});

describe("evaluation order", () => {
  it("&& and || short-circuit and ?: evaluates one side (§8.4): a table applied on the right runs only when needed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-p4-order-"));
    const { writeFileSync } = await import("node:fs");
    const { writePcap } = await import("../../../runtime/packet/pcap.js");
    writeFileSync(join(dir, "order.p4"), `#include <core.p4>
#include <ebpf_model.p4>
header h_t { bit<8> a; }
struct H { h_t h; }
parser prs(packet_in p, out H hd) { state start { p.extract(hd.h); transition accept; } }
control pipe(inout H hd, out bool pass) {
    CounterArray(32w4, false) hits;
    action bump() { hits.increment(hd.h.a == 1 ? 32w1 : 32w2); }
    table t { actions = { bump; } default_action = bump(); }
    apply {
        pass = false;
        // a == 1: the table runs on the right of ||, not of &&; a == 2: the other way round
        if (hd.h.a == 2 && t.apply().miss) { pass = true; }
        if (hd.h.a == 2 || t.apply().miss) { pass = true; }
    }
}
ebpfFilter(prs(), pipe()) main;
`);
    writeFileSync(join(dir, "in.pcap"), writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: [1, 1, 2].map((a) => ({ tsSec: 0, tsFrac: 0, origLen: 1, data: Uint8Array.of(a) })) }));
    const r = await runCli(["run", "order.p4", "--pcap", "in.pcap", "--maps-out", "maps.json"], dir);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("packet 1: 1 bytes in, 1 out, r0=0x2, XDP_PASS\npacket 2: 1 bytes in, 1 out, r0=0x2, XDP_PASS\npacket 3: 1 bytes in, 1 out, r0=0x2, XDP_PASS\n");
    const maps = JSON.parse(readFileSync(join(dir, "maps.json"), "utf8")) as Record<string, { value: string[] }[]>;
    // index 1 (a == 1): one apply per packet, from ||; index 2 (a == 2): one, from &&
    expect(maps["pipe_hits"]!.map((e) => Number(e.value[0]))).toEqual([0, 2, 1, 0]);
  });
});

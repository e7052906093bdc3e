// Bad inputs for CLI tests (test/cli/errors*.test.ts): the folder of fixtures, good files
// built by the CLI itself and damaged copies of them, a snapshot of a folder to show that a
// failed command changed nothing, and the check that a failure is a clean diagnostic.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { writePcap } from "../../runtime/packet/pcap.js";
import { runCli, type CliRun } from "./cli.js";

const REPO = join(import.meta.dirname, "../..");
const CORPUS = join(REPO, "test/frontends/p4/corpus");

/** Marks of a crash rather than a diagnostic: a JS stack frame or a JS error class name. */
export const CRASH = /^ {4}at |TypeError|RangeError|SyntaxError|ReferenceError|Cannot read propert|undefined is not|bpfoff: bug:/m;

/** Every file below dir with a hash of its bytes, so that a row that changes anything shows. */
export function snapshot(dir: string, prefix = ""): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    const rel = prefix + name;
    if (statSync(p).isDirectory()) return [`${rel}/`, ...snapshot(p, `${rel}/`)];
    return [`${rel} ${createHash("sha1").update(readFileSync(p)).digest("hex")}`];
  });
}

/** Checks one failing run: exit 1, the fragment on stderr, a `bpfoff: error:` line, no crash marks. */
export function expectCleanError(r: CliRun, fragment: string | RegExp): void {
  const shown = `exit ${r.code}\nstderr:\n${r.stderr}`;
  expect(r.code, shown).toBe(1);
  expect(r.stderr, shown).toMatch(/^bpfoff: error: /m);
  expect(r.stderr, shown).not.toMatch(CRASH);
  if (typeof fragment === "string") expect(r.stderr, shown).toContain(fragment);
  else expect(r.stderr, shown).toMatch(fragment);
}

export const pcap = (frames: Uint8Array[]) => writePcap({ linkType: 1, snapLen: 65535, nanos: false, packets: frames.map((data, i) => ({ tsSec: i, tsFrac: 0, origLen: data.length, data })) });

/** The fixtures, made once: good inputs built by the CLI itself, then damaged copies. */
export async function makeFixtures(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-errors-"));
  const put = (name: string, data: string | Uint8Array) => writeFileSync(join(dir, name), data);
  const read = (name: string) => readFileSync(join(dir, name));
  put("prog.s", readFileSync(join(REPO, "test/backends/bpf/golden/counter.s")));
  put("router.p4", readFileSync(join(CORPUS, "ipv4_router.p4")));
  put("router.entries.json", readFileSync(join(CORPUS, "ipv4_router.entries.json")));
  put("router.stf", readFileSync(join(CORPUS, "ipv4_router.stf")));
  const must = async (args: string[]) => {
    const r = await runCli(args, dir);
    if (r.code !== 0) throw new Error(`fixture ${args.join(" ")}: ${r.stderr}`);
  };
  await must(["asm", "prog.s", "-o", "prog.o"]);
  // The same code in .text: a subprogram, so an object with no program in it.
  await must(["asm", "prog.s", "-o", "noprog.o", "--section", ".text"]);
  await must(["build", "prog.s", "--target", "bpf", "-o", "bundle"]);
  await must(["build", "prog.s", "--target", "npu", "-o", "npu"]);
  await must(["map", "create", "m.img", "--type", "hash", "--key-size", "4", "--value-size", "8", "--max-entries", "16"]);
  const elf = read("prog.o");
  put("trunc.o", elf.subarray(0, 100));
  // e_shoff (offset 0x28 in ELF64) far past the end of the file.
  const badShoff = Buffer.from(elf);
  badShoff.writeBigUInt64LE(0xffff_ffffn, 0x28);
  put("shoff.o", badShoff);
  // e_shstrndx (0x3e) naming a section that does not exist.
  const badStrndx = Buffer.from(elf);
  badStrndx.writeUInt16LE(0x7777, 0x3e);
  put("strndx.o", badStrndx);
  put("empty.o", "");
  put("empty.s", "");
  put("empty.c", "");
  put("empty.p4", "");
  put("garbage.o", Buffer.from("this is not an ELF object at all, just text\n"));
  mkdirSync(join(dir, "adir"));
  put("afile", "a plain file\n");
  const good = pcap([new Uint8Array(60)]);
  put("good.pcap", good);
  put("trunc.pcap", good.subarray(0, good.length - 10));
  put("magic.pcap", Buffer.from("0123456789abcdef0123456789abcdef"));
  // A pcapng section header block whose length runs past the end of the file.
  const ng = Buffer.alloc(16);
  ng.writeUInt32LE(0x0a0d0d0a, 0);
  ng.writeUInt32LE(0x1000, 4);
  ng.writeUInt32LE(0x1a2b3c4d, 8);
  put("bad.pcapng", ng);
  put("empty.pcap", "");
  const img = read("m.img");
  put("trunc.img", img.subarray(0, Math.max(1, img.length >> 1)));
  put("garbage.img", Buffer.from("not a map image, only some text to read\n"));
  put("empty.img", "");
  put("bad.json", "{ \"hits\": [ ");
  put("bad2.json", '{\n  "hits": [\n    { "key": 1, }\n  ]\n}\n');
  put("token.json", '{\n  "hits": [ x ]\n}\n');
  put("shape.json", "{ \"hits\": 5 }");
  put("nomap.json", "{ \"nosuchmap\": [] }");
  put("array.json", "[1, 2, 3]");
  put("bad.stf", "add Ingress_routes hdr.ipv4.dstAddr:192.168.0.0/16 set_nexthop(0x0000000000cc\n");
  put("verb.stf", "frobnicate 1 2 3\n");
  put("bad.ir", "func @f( {\n");
  put("entries-shape.json", "{ \"entries\": [ { \"table\": \"nosuch\" } ] }");
  put("entries-type.json", "{ \"entries\": 7 }");
  // Damaged bundles: copies of the good ones with one file missing or corrupt.
  const copy = (from: string, to: string) => {
    for (const line of snapshot(join(dir, from))) {
      const name = line.split(" ")[0]!;
      if (name.endsWith("/")) mkdirSync(join(dir, to, name), { recursive: true });
      else {
        mkdirSync(join(dir, to), { recursive: true });
        writeFileSync(join(dir, to, name), readFileSync(join(dir, from, name)));
      }
    }
  };
  copy("npu", "nomanifest");
  rmSync(join(dir, "nomanifest/manifest.json"));
  copy("npu", "badmanifest");
  put("badmanifest/manifest.json", "{ \"target\": \"npu\", ");
  copy("npu", "emptymanifest");
  put("emptymanifest/manifest.json", "{}");
  copy("npu", "arraymanifest");
  put("arraymanifest/manifest.json", "[]");
  copy("npu", "badimage");
  const manifest = JSON.parse(read("npu/manifest.json").toString("utf8"));
  const image = manifest.maps[0].image as string;
  put(`badimage/${image}`, "corrupt");
  copy("npu", "noimage");
  rmSync(join(dir, "noimage", image));
  copy("npu", "badcode");
  put(`badcode/${manifest.resources.image}`, "x");
  copy("npu", "baddesc");
  put(`baddesc/${manifest.resources.descriptor}`, "{");
  return dir;
}


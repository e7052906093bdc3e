// What the native translators may load without a check (backends/common/native-ctx.ts):
// xdp_md field loads through the context, and packet accesses the program's own bounds
// check covers, never one byte more.
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { nativeFacts } from "../../../backends/common/native-ctx.js";

const slotsOf = (text: string) => assemble(text, "t.s").programs[0]!.slots;

describe("native facts", () => {
  const text = `
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]
    ldxw %r4, [%r1+2]
    mov %r6, %r1
    ldxw %r5, [%r6+12]
    mov %r4, %r2
    add %r4, 14
    jgt %r4, %r3, out
    ldxb %r0, [%r2+13]
    ldxh %r0, [%r2+13]
    ldxb %r0, [%r4-1]
    stb [%r2+0], 1
    ldxb %r0, [%r2-1]
    call 44
    ldxb %r0, [%r2+0]
    ldxw %r2, [%r6+0]
    mov %r0, 2
  out:
    ldxb %r0, [%r2+0]
    exit`;
  const slots = slotsOf(text);

  it("context loads: 4-byte loads at field offsets through r1 or a copy of it, until a call", () => {
    expect([...nativeFacts(slots, "xdp").ctxLoads].sort((a, b) => a - b)).toEqual([0, 1, 4, 15]);
    expect(nativeFacts(slots, "raw").ctxLoads.size).toBe(0);
  });

  it("packet accesses inside [data, data+14) after jgt data+14, data_end: until a helper moves the packet", () => {
    const { proven } = nativeFacts(slots, "xdp");
    // 8: [13,14) yes; 9: [13,15) no; 10: r4-1 = data+13 yes; 11: store at 0 yes; 12: data-1 no;
    // 14: after call 44 no; 17: the join of a checked path and an unchecked one: no.
    expect([...proven].sort((a, b) => a - b)).toEqual([8, 10, 11]);
  });

  it("paths that merge keep what both proved (the smaller range), loops included", () => {
    const merged = slotsOf(`
      ldxw %r2, [%r1+0]
      ldxw %r3, [%r1+4]
      mov %r4, %r2
      add %r4, 20
      jgt %r4, %r3, out
      ldxb %r5, [%r2+0]
      jeq %r5, 1, join
      mov %r4, %r2
      add %r4, 30
      jgt %r4, %r3, out
      ldxb %r0, [%r2+29]
    join:
      ldxb %r0, [%r2+19]
      ldxb %r0, [%r2+20]
      mov %r6, 0
    loop:
      ldxb %r0, [%r2+5]
      add %r2, 1
      add %r6, 1
      jlt %r6, 3, loop
    out:
      exit`);
    // 5, 10, 11 (join: min(20, 30) = 20 covers [19, 20)), not 12 ([20, 21)); in the loop r2
    // moves, so 14 is not proven either.
    expect([...nativeFacts(merged, "xdp").proven].sort((a, b) => a - b)).toEqual([5, 10, 11]);
  });
});

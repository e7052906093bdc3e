// Small assembled XDP programs (no maps) that every engine runs: the Linux kernel
// (test/kernel/asm-objects.test.ts), the FPGA engine (test/backends/fpga/xdp.test.ts).

/** Verdict from the first byte through a subprogram; MAC swap with XDP_TX; 32-bit ALU on packet data. */
export const XDP_PROGRAMS: Readonly<Record<string, string>> = {
  "verdict-by-first-byte": `ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
mov %r0, 1
jgt %r4, %r3, done
ldxb %r1, [%r2+0]
call local pick
done:
exit
pick:
mov %r0, 2
jne %r1, 0xff, +1
mov %r0, 1
exit`,
  "swap-macs": `ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 12
mov %r0, 2
jgt %r4, %r3, out
ldxw %r5, [%r2+0]
ldxh %r6, [%r2+4]
ldxw %r7, [%r2+6]
ldxh %r8, [%r2+10]
stxw [%r2+0], %r7
stxh [%r2+4], %r8
stxw [%r2+6], %r5
stxh [%r2+10], %r6
mov %r0, 3
out:
exit`,
  "alu-on-packet-data": `ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 8
mov %r0, 0
jgt %r4, %r3, out
ldxdw %r5, [%r2+0]
mov32 %r6, %r5
rsh %r5, 32
mul32 %r6, 7
xor32 %r6, %r5
arsh32 %r6, 3
and %r6, 1
mov %r0, %r6
add %r0, 1
out:
exit`,
};

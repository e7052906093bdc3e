# An XDP program in the shape of the examples: bounds check, a 64-bit add, a 32-bit
# compare, a hash lookup with a counter, and a divide by a constant.
.map seen hash key=4 value=8 entries=16
  mov %r6, 1
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 34
  jgt %r4, %r3, out
  ldxw %r5, [%r2+26]
  stxw [%r10-4], %r5
  ldxb %r7, [%r2+23]
  jne32 %r7, 17, out
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map(seen)
  call 1
  jeq %r0, 0, out
  mov %r1, 1
  lock add [%r0+0], %r1
  ldxdw %r8, [%r0+0]
  div %r8, 10
  and %r8, 1
  add %r6, %r8
out:
  mov %r0, %r6
  exit

# A raw program for the native bundles' golden files: a bounded loop over the input,
# a division, an atomic add into an array map value looked up inline, and a helper call.
.map hits array key=4 value=8 entries=4
  mov %r6, %r1
  mov %r7, %r2
  jle %r7, 8, bounded
  mov %r7, 8
bounded:
  mov %r8, 0
  mov %r9, 0
loop:
  jge %r9, %r7, done
  mov %r3, %r6
  add %r3, %r9
  ldxb %r3, [%r3+0]
  add %r8, %r3
  add %r9, 1
  ja loop
done:
  mov %r0, %r8
  div %r0, 3
  and %r0, 3
  stxw [%r10-4], %r0
  lddw %r1, map(hits)
  mov %r2, %r10
  add %r2, -4
  call 1
  jeq %r0, 0, out
  mov %r1, 1
  lock add [%r0+0], %r1
out:
  call 5
  mov %r0, %r8
  exit

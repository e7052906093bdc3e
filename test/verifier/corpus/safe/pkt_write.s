# Swaps the first two bytes.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 2
mov %r0, 2
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
ldxb %r6, [%r2+1]
stxb [%r2+0], %r6
stxb [%r2+1], %r5
mov %r0, 3
out:
exit

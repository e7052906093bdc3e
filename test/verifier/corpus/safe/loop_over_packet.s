# XORs up to 8 packet bytes, checking data_end at every step.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r0, 0
mov %r5, 0
again:
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r6, [%r2+0]
xor %r0, %r6
mov %r2, %r4
add %r5, 1
jlt %r5, 8, again
out:
and %r0, 3
exit

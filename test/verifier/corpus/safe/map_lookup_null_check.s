.map counters array key=4 value=8 entries=4
stw [%r10-4], 1
mov %r2, %r10
add %r2, -4
lddw %r1, map(counters)
call 1
mov %r1, %r0
mov %r0, 2
jeq %r1, 0, out
ldxdw %r2, [%r1+0]
add %r2, 1
stxdw [%r1+0], %r2
out:
exit

.map flows hash key=8 value=8 entries=16
stdw [%r10-8], 7
stdw [%r10-16], 1
lddw %r1, map(flows)
mov %r2, %r10
add %r2, -8
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
mov %r0, 2
exit

# The null check written as jne, and a copy of the pointer checked through the original.
.map counters array key=4 value=8 entries=4
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map(counters)
call 1
mov %r7, %r0
jne %r0, 0, found
mov %r0, 1
exit
found:
ldxdw %r0, [%r7+0]
and %r0, 1
exit

# expect: min value is negative
# A signed offset in [-8, 7] added to a map value pointer.
.map counters array key=4 value=16 entries=4
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map(counters)
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
and %r0, 15
sub %r0, 8
add %r6, %r0
ldxb %r1, [%r6+0]
out:
mov %r0, 0
exit

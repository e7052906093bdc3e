# expect: map_value_or_null
.map counters array key=4 value=8 entries=4
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map(counters)
call 1
ldxdw %r0, [%r0+0]
exit

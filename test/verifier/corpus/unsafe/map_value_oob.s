# expect: invalid access to map value, value_size=8 off=8 size=4
.map counters array key=4 value=8 entries=4
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map(counters)
call 1
jeq %r0, 0, out
ldxw %r1, [%r0+8]
out:
mov %r0, 0
exit

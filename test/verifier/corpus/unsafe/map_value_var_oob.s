# expect: invalid access to map value
# The index is masked to 0..15, but the value has 8 bytes.
.map counters array key=4 value=8 entries=4
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map(counters)
call 1
jeq %r0, 0, out
call 7
and %r0, 15
lddw %r1, map(counters)
mov %r6, %r0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
add %r0, %r6
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

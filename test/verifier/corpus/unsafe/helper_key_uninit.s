# expect: invalid indirect read from stack
.map counters array key=4 value=8 entries=4
mov %r2, %r10
add %r2, -4
lddw %r1, map(counters)
call 1
mov %r0, 0
exit

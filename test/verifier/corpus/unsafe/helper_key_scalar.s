# expect: R2 type=scalar expected=fp
.map counters array key=4 value=8 entries=4
mov %r2, 5
lddw %r1, map(counters)
call 1
mov %r0, 0
exit

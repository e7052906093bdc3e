# Golden bundle input: counts XDP packets by the low bits of their first byte in an
# array map, through a subprogram that keeps the key on the stack.
# Expected bundle: counter.bundle/ (UPDATE_GOLDEN=1 rewrites it).
.map hits array key=4 value=8 entries=4
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
mov %r0, 2
jgt %r4, %r3, out
ldxb %r1, [%r2+0]
and %r1, 3
call local count
mov %r0, 2
out:
exit
count:
stxw [%r10-4], %r1
mov %r2, %r10
add %r2, -4
lddw %r1, map(hits)
call 1
jeq %r0, 0, +2
mov %r1, 1
lock add [%r0+0], %r1
exit

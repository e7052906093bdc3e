# A random index masked into a 16-byte value.
.map table array key=4 value=16 entries=1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map(table)
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
and %r0, 15
add %r6, %r0
ldxb %r0, [%r6+0]
exit
out:
mov %r0, 0
exit

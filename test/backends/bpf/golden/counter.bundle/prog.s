# bpfoff: program main (section xdp, type xdp), 21 instructions
.map hits array key=4 value=8 entries=4
ldxw %r2, [%r1+0]
ldxw %r1, [%r1+4]
mov %r5, %r2
add %r5, 1
jgt %r5, %r1, +14
ldxb %r1, [%r2+0]
and %r1, 3
stxw [%r10-4], %r1
mov %r2, %r10
add %r2, -4
lddw %r1, map(hits)
call 1
mov %r1, %r0
jeq %r1, 0, +4
mov %r0, 1
lock add [%r1+0], %r0
mov %r0, 2
exit
mov %r0, 2
exit

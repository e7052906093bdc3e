# The bound the other way round: data_end < data + 8 jumps away.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 8
mov %r0, 2
jlt %r3, %r4, out
ldxdw %r0, [%r2+0]
and %r0, 3
out:
exit

# expect: invalid access to packet
# A masked variable offset is bounded, but the result is not compared with data_end again.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
mov %r0, 1
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
and %r5, 15
add %r2, %r5
ldxb %r0, [%r2+0]
out:
exit

# expect: invalid access to packet
# The access sits on the edge where the packet is too short.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 4
mov %r0, 1
jle %r4, %r3, out
ldxw %r0, [%r2+0]
out:
exit

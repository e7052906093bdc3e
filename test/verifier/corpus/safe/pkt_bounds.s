# Reads the EtherType after proving 14 bytes of packet.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
mov %r0, 2
jgt %r4, %r3, out
ldxh %r5, [%r2+12]
mov %r0, 1
jne %r5, 8, out
mov %r0, 2
out:
exit

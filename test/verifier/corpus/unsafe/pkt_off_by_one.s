# expect: invalid access to packet, off=14 size=1
# Proves 14 bytes (the Ethernet header), then reads the 15th.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
mov %r0, 1
jgt %r4, %r3, out
ldxb %r0, [%r2+14]
out:
exit

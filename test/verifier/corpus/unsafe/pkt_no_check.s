# expect: invalid access to packet
# Reads the first byte of the packet without comparing with data_end.
ldxw %r2, [%r1+0]
ldxb %r0, [%r2+0]
exit

# type: raw
# Reads 8 bytes of the input after proving its length (r2) is at least 8.
mov %r0, 0
jlt %r2, 8, out
ldxdw %r0, [%r1+0]
out:
exit

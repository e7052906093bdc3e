# type: raw
# The length checked through a copy.
mov %r3, %r2
mov %r0, 0
jle %r3, 11, out
ldxw %r0, [%r1+8]
stw [%r1+0], 1
out:
exit

# expect: invalid read from stack R10 off -8+4 size 8
stw [%r10-8], 1
ldxdw %r0, [%r10-8]
exit

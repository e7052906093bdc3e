# Byte stores initialise exactly the bytes they write.
stb [%r10-1], 1
stb [%r10-2], 2
sth [%r10-4], 3
ldxw %r0, [%r10-4]
exit

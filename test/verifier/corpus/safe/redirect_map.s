.map ports devmap key=4 value=4 entries=4
lddw %r1, map(ports)
mov %r2, 1
mov %r3, 0
call 51
exit

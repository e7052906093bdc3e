# expect: cannot pass map_type array
# redirect_map wants a devmap.
.map ports array key=4 value=4 entries=4
lddw %r1, map(ports)
mov %r2, 0
mov %r3, 0
call 51
exit

# type: xdp
# A subprogram that reads the packet through the pointer its caller passes: the parameter
# is typed ptr.packet from the call site, so the load inside names the packet region.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 2
mov %r0, 2
jgt %r4, %r3, out
mov %r1, %r2
call local first_two
out:
exit
first_two:
ldxb %r0, [%r1+0]
ldxb %r2, [%r1+1]
add %r0, %r2
and %r0, 3
exit

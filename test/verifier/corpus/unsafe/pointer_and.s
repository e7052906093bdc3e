# expect: pointer arithmetic with &= operator prohibited
and %r1, 255
mov %r0, 0
exit

# expect: infinite loop detected
mov %r0, 0
mov %r1, 1
again:
add %r1, 0
jne %r1, 0, again
exit

# Division by a register that may be zero is defined in BPF (the result is 0).
call 7
mov %r1, %r0
mov %r0, 100
div %r0, %r1
mod %r0, %r1
exit

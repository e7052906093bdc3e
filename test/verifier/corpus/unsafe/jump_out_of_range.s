# expect: jump out of range
# patch: 1 off=5
# The assembler refuses the jump, so the test moves its target past the end.
mov %r0, 0
ja +0
exit

# expect: read-only to programs
# (The map's flags say BPF_F_RDONLY_PROG; patched in by the test's .map flags.)
.map conf array key=4 value=8 entries=1 flags=128
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map(conf)
call 1
jeq %r0, 0, out
stdw [%r0+0], 1
out:
mov %r0, 0
exit

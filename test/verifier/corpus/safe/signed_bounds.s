# Signed comparisons bound an index into a 16-byte map value.
.map table array key=4 value=16 entries=1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map(table)
call 1
jeq %r0, 0, out
mov %r6, %r0
call 7
mov %r1, %r0
mov %r0, 0
jslt %r1, 0, out
jsgt %r1, 15, out
add %r6, %r1
ldxb %r0, [%r6+0]
exit
out:
mov %r0, 0
exit

# One TCAM lookup of a 4-byte key (first byte 10): with tcam-0/1/4.json (no rows; the match in row 0;
# three rows of higher priority that miss before it).
.map t tcam key=4 value=8 entries=16
stw [%r10-8], 0x0302010a
mov %r2, %r10
add %r2, -8
lddw %r1, map(t)
call 1
exit

# type: raw
# Sums the first r2 bytes (at most 8) through a subprogram that adds one byte.
mov %r6, %r1
mov %r7, %r2
mov %r8, 0
mov %r9, 0
loop:
jge %r8, %r7, done
jge %r8, 8, done
mov %r1, %r6
add %r1, %r8
ldxb %r1, [%r1+0]
mov %r2, %r9
call local addbyte
mov %r9, %r0
add %r8, 1
ja loop
done:
mov %r0, %r9
exit
addbyte:
add %r2, %r1
mov %r0, %r2
exit

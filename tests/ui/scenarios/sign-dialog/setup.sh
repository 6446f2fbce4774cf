# A run of sign-many.json: nine checks pass, one fails, one manual item waits.
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
printf '654321\n' | "$CS" engineer add bob --full-name "Bob Builder" --pin-stdin >/dev/null
run=$(printf '123456\n' | "$CS" start sign-many.json --engineer alice --pin-stdin)
for i in 1 2 3 4 5 6 7 8 9 10; do
  printf '123456\n' | "$CS" check "$run" checks/c$i --engineer alice --pin-stdin >/dev/null || true
done

# A run whose first gate has passed: checked, attested, signed by two.
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
printf '654321\n' | "$CS" engineer add bob --full-name "Bob Builder" --pin-stdin >/dev/null
run=$(printf '123456\n' | "$CS" start sign.json --engineer alice --pin-stdin)
printf '123456\n' | "$CS" check "$run" check/probe --engineer alice --pin-stdin >/dev/null
printf '123456\n' | "$CS" attest "$run" check/dash --engineer alice --pin-stdin >/dev/null
printf '123456\n' | "$CS" sign "$run" check --engineer alice --pin-stdin >/dev/null
printf '654321\n' | "$CS" sign "$run" check --engineer bob --pin-stdin >/dev/null

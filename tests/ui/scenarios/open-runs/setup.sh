# Four runs of sign.json: three open (by alice, by bob with its first gate
# passed, by alice again), one aborted; and a run of another checklist.
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
printf '654321\n' | "$CS" engineer add bob --full-name "Bob Builder" --pin-stdin >/dev/null
r1=$(printf '123456\n' | "$CS" start sign.json --engineer alice --title "Monday attempt" --pin-stdin)
r2=$(printf '654321\n' | "$CS" start sign.json --engineer bob --title "Tuesday deploy" --pin-stdin)
printf '654321\n' | "$CS" check "$r2" check/probe --engineer bob --pin-stdin >/dev/null
printf '654321\n' | "$CS" attest "$r2" check/dash --engineer bob --pin-stdin >/dev/null
printf '654321\n' | "$CS" sign "$r2" check --engineer bob --pin-stdin >/dev/null
printf '123456\n' | "$CS" sign "$r2" check --engineer alice --pin-stdin >/dev/null
r3=$(printf '123456\n' | "$CS" start sign.json --engineer alice --title "Aborted one" --pin-stdin)
printf '123456\n' | "$CS" abort "$r3" --engineer alice --reason "wrong day" --pin-stdin >/dev/null
printf '123456\n' | "$CS" start sign.json --engineer alice --title "Wednesday retry" --pin-stdin >/dev/null
printf '123456\n' | "$CS" start choice.json --engineer alice --pin-stdin >/dev/null

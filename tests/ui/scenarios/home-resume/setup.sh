# Two local checklists and three runs made with the command line: two open,
# one aborted (the runs are RUN1, RUN2 and RUN3 in the dumps, oldest first).
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
mkdir checklists
cp deploy.json choice.json checklists/
run1=$(printf '123456\n' | "$CS" start deploy.json --engineer alice --var TOKEN=t0k --title "Tuesday deploy" --pin-stdin)
run2=$(printf '123456\n' | "$CS" start choice.json --engineer alice --title "Canary trial" --pin-stdin)
printf '123456\n' | "$CS" abort "$run2" --engineer alice --reason "wrong strategy" --pin-stdin
printf '123456\n' | "$CS" start choice.json --engineer alice --title "Second try" --pin-stdin >/dev/null

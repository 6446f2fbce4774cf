# alice runs the review; its required item is done, nobody has signed yet.
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
RUN=$(printf '123456\n' | "$CS" start waiting.json --engineer alice --pin-stdin)
printf '123456\n' | "$CS" attest "$RUN" review/looked --engineer alice --pin-stdin >/dev/null

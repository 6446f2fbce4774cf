# A run of forms.json started with the command line: its secret TOKEN is
# given there and never stored, so this session has no value for it.
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
printf '654321\n' | "$CS" engineer add bob --full-name "Bob Builder" --pin-stdin >/dev/null
printf '123456\n' | TOKEN=t0k3n "$CS" start forms.json --engineer alice --pin-stdin >/dev/null

# More runs than the home screen shows at 80x24: 14 open, 10 aborted.
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
i=0
while [ $i -lt 24 ]; do
	RUN=$(printf '123456\n' | "$CS" start runscreen.json --engineer alice --pin-stdin --title "Run $i")
	if [ $i -lt 10 ]; then
		printf '123456\n' | "$CS" abort "$RUN" --engineer alice --reason "test" --pin-stdin
	fi
	i=$((i + 1))
done

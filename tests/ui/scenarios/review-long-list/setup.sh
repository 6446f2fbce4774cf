# More runs than the review list shows at 100x30: 6 open, 24 aborted.
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
i=0
while [ $i -lt 30 ]; do
	RUN=$(printf '123456\n' | "$CS" start sign.json --engineer alice --pin-stdin --title "Run $i")
	if [ $i -lt 24 ]; then
		printf '123456\n' | "$CS" abort "$RUN" --engineer alice --reason "test" --pin-stdin >/dev/null
	fi
	i=$((i + 1))
done

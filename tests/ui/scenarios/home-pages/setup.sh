# More past runs than two pages of the home screen read at 80x24 (a page is
# a screenful, 24 runs): 55 aborted, then 2 open.
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
i=0
while [ $i -lt 57 ]; do
	RUN=$(printf '123456\n' | "$CS" start runscreen.json --engineer alice --pin-stdin --title "Run $i")
	if [ $i -lt 55 ]; then
		printf '123456\n' | "$CS" abort "$RUN" --engineer alice --reason "test" --pin-stdin
	fi
	i=$((i + 1))
done

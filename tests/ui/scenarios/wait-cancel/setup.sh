# One engineer, the operator; the soak lasts an hour here, so that nothing
# of the scenario depends on how fast the machine is.
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
sed -i 's/"duration": "2s"/"duration": "1h"/' items.json

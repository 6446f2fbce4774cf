#!/bin/sh
# The layers hold because the build fails otherwise: a copy of the source
# tree is configured with this build's compiler; its layer checks build as
# they are, then a deliberate wrong-way call or #include is put in and the
# same target must fail, naming what went the wrong way.
#
# usage: test_wrong_way.sh SOURCE_ROOT MESON CC...
set -u
src=$1 meson=$2
shift 2
export LANG=C.UTF-8 TERM=dumb
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
for d in meson.build meson_options.txt include src scripts doc data checklists; do
	cp -R "$src/$d" "$tmp/src/" || exit 1
done

CC="$*" "$meson" setup "$tmp/build" "$tmp/src" -Dtests=false -Dwerror=true -Dbuildtype=debug >"$tmp/setup.log" 2>&1 || {
	cat "$tmp/setup.log"
	echo "0 passed, 1 failed"
	exit 1
}

# builds TARGET; its output in $tmp/out
build() {
	"$meson" compile -C "$tmp/build" "$1" >"$tmp/out" 2>&1
}

# expect_refused WHAT TARGET NEEDLE: TARGET must fail to build, saying NEEDLE
expect_refused() {
	if build "$2"; then
		fail "$1: $2 built"
	elif grep -q -- "$3" "$tmp/out"; then
		ok "$1: $2 fails ($(grep -m1 -- "$3" "$tmp/out" | sed 's/^.*: //' | cut -c1-100))"
	else
		fail "$1: $2 failed without naming $3"
		tail -20 "$tmp/out"
	fi
}

# expect_built WHAT TARGET
expect_built() {
	if build "$2"; then
		ok "$1: $2 builds"
	else
		fail "$1: $2 does not build"
		tail -20 "$tmp/out"
	fi
}

# The tree as it is: every check passes (so a failure below is the change's).
expect_built "as it is" layer-check-core
expect_built "as it is" layer-check-net
expect_built "as it is" layer-includes

# core calling the store
cp "$tmp/src/src/core/util.c" "$tmp/util.c"
cat >>"$tmp/src/src/core/util.c" <<'EOF'

struct store;
struct store *store_open(const char *path, char **err);
void util_wrong_way(void);
void util_wrong_way(void)
{
	store_open("x.db", NULL);
}
EOF
expect_refused "core calls store_open" layer-check-core "undefined reference to .store_open"
cp "$tmp/util.c" "$tmp/src/src/core/util.c"
expect_built "core restored" layer-check-core

# net calling the store, its peer
cp "$tmp/src/src/net/net_util.c" "$tmp/net_util.c"
cat >>"$tmp/src/src/net/net_util.c" <<'EOF'

struct store;
void store_close(struct store *st);
void net_wrong_way(void);
void net_wrong_way(void)
{
	store_close(NULL);
}
EOF
expect_refused "net calls store_close" layer-check-net "undefined reference to .store_close"
cp "$tmp/net_util.c" "$tmp/src/src/net/net_util.c"

# wrong-way includes: core including the session, the interface the store
# and the PINs, the report the store, a private header of another layer
inject() {
	cp "$tmp/src/$1" "$tmp/saved"
	printf '#include %s\n' "$2" >>"$tmp/src/$1"
	expect_refused "$1 includes $2" layer-includes "$1:"
	cp "$tmp/saved" "$tmp/src/$1"
}
inject src/core/engine.c '"countersign/session.h"'
inject src/ui/ui_home.c '"countersign/store.h"'
inject src/ui/ui_start.c '"countersign/pin.h"'
inject src/cli/cmd_status.c '"countersign/store.h"'
inject src/report/report_model.c '"countersign/store.h"'
inject src/store/store.c '"countersign/net.h"'
inject src/ui/ui_run.c '"run/spawn.h"'
inject src/core/util.c '<sqlite3.h>'
inject include/countersign/util.h '"countersign/session.h"'
expect_built "includes restored" layer-includes

# SHA-256 anywhere but src/core/sha256.c: libcrypto's header, libsodium's call
inject src/run/capture.c '<openssl/evp.h>'
cp "$tmp/src/src/store/store_runs.c" "$tmp/saved"
printf 'void store_wrong_hash(unsigned char *d);\nvoid store_wrong_hash(unsigned char *d)\n{\n\tcrypto_hash_sha256(d, d, 0);\n}\n' \
	>>"$tmp/src/src/store/store_runs.c"
expect_refused "store_runs.c calls libsodium's SHA-256" layer-includes "SHA-256 goes through countersign/sha256.h"
cp "$tmp/saved" "$tmp/src/src/store/store_runs.c"
expect_built "SHA-256 restored" layer-includes

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

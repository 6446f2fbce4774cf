#!/bin/sh
# `meson install --destdir` of this build into a temporary folder: the
# program, both man pages (rendered by man without a warning), the bash
# completion, the JSON Schemas and the bundled checklists are installed, and
# countersign-release.json (which only makes sense in the source tree) is
# not. The installed tour works outside the source tree: its web server
# starts from the installed folder and answers the tour's HTTP check.
# Skipped (exit 77) when the build found no scdoc or this machine has no man
# (Debian packages scdoc and man-db; scripts/bootstrap installs them).
#
# usage: test_install.sh COUNTERSIGN_TEST SOURCE_ROOT MESON BUILD_ROOT
#        BINDIR MANDIR PKGDATADIR COMPLETIONSDIR MAN_PAGES_BUILT
. "$(dirname "$0")/../cli/lib.sh"
MESON=$3 BUILD=$4 BINDIR=$5 MANDIR=$6 PKGDATADIR=$7 COMPDIR=$8 MAN_BUILT=$9

if [ "$MAN_BUILT" != true ]; then
	printf 'SKIP: this build found no scdoc (Debian package scdoc), so it has no man pages to install\n' >&2
	exit 77
fi
if ! command -v man >/dev/null 2>&1; then
	printf 'SKIP: man is not installed (Debian package man-db); the man pages cannot be rendered\n' >&2
	exit 77
fi

D=$T/dest
run "$MESON" install -C "$BUILD" --destdir "$D" --no-rebuild --quiet
expect_rc 0 "meson install --destdir"

# The program, and only the installed one.
BIN=$D$BINDIR/countersign
if [ -x "$BIN" ]; then ok; else fail "no program at $BIN"; fi
run "$BIN" --version
expect_rc 0 "installed countersign --version"
expect_in out "countersign " "installed countersign --version"
run find "$D" -name 'countersign-test*'
expect_eq "$(cat "$T/out")" "" "the test program is not installed"

# The data a user needs, and not the source tree's release checklist.
for f in checklists/noa-server-deploy.json checklists/tour.json checklists/tour/server.sh \
	checklists/tour/site/health.json checklists/tour/site/index.html checklist.schema.json report.schema.json; do
	if [ -f "$D$PKGDATADIR/$f" ]; then ok; else fail "not installed: $PKGDATADIR/$f"; fi
done
run find "$D" -name 'countersign-release*'
expect_eq "$(cat "$T/out")" "" "countersign-release.json is not installed"
run "$BIN" lint "$D$PKGDATADIR/checklists/noa-server-deploy.json" "$D$PKGDATADIR/checklists/tour.json"
expect_rc 0 "the installed checklists pass lint"

# The home screen lists PKGDATADIR/checklists: the program names that folder.
if grep -q -a -F "$PKGDATADIR/checklists" "$BIN"; then ok; else fail "the program does not look in $PKGDATADIR/checklists"; fi

# The bash completion, where bash-completion loads it, defining the function.
COMP=$D$COMPDIR/countersign
if [ -f "$COMP" ]; then ok; else fail "no bash completion at $COMPDIR/countersign"; fi
run bash -c '. "$1" && complete -p countersign' sh "$COMP"
expect_rc 0 "the installed completion loads in bash"
expect_in out "-F _countersign countersign" "the installed completion registers _countersign"

# Both man pages, rendered at 80 columns without a warning, naming the
# installed data folder.
for page in man1/countersign.1 man5/countersign-checklist.5; do
	P=$D$MANDIR/$page
	if [ -f "$P" ]; then ok; else fail "no man page at $MANDIR/$page"; continue; fi
	warnings=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$P" 2>&1 >/dev/null)
	expect_eq "$warnings" "" "man --warnings -l $page"
	run env MANWIDTH=80 MANPAGER=cat man -l "$P"
	expect_rc 0 "man -l $page"
	expect_in out "$PKGDATADIR/checklists" "$page names the installed checklists"
	expect_not_in out "@PKGDATADIR@" "$page has no placeholder left"
done
run env MANWIDTH=80 MANPAGER=cat man -l "$D$MANDIR/man1/countersign.1"
for word in 'EXIT STATUS' ENVIRONMENT COUNTERSIGN_DB XDG_DATA_HOME NO_COLOR FILES EXAMPLES; do
	expect_in out "$word" "countersign(1) has $word"
done

# The installed tour, outside the source tree: its first item, and its web
# server started from the installed folder (the checks' folder is the
# checklist's), checked over HTTP and stopped by the rollback section.
export COUNTERSIGN_DB="$T/cs.db" COUNTERSIGN_TEST_PIN_COST=min
printf '123456\n' | "$CS" engineer add alice --full-name Alice --pin-stdin >/dev/null 2>&1
printf '654321\n' | "$CS" engineer add bob --full-name Bob --pin-stdin >/dev/null 2>&1
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TOUR=$D$PKGDATADIR/checklists/tour.json
run sh -c 'printf "123456\n" | "$1" start "$2" --engineer alice --var TOUR_PORT="$3" --pin-stdin' sh "$CS" "$TOUR" "$port"
expect_rc 0 "start the installed tour"
R=$(cat "$T/out")
run sh -c 'printf "123456\n" | "$1" check "$2" first-steps/hello --engineer alice --pin-stdin' sh "$CS" "$R"
expect_rc 0 "the installed tour's first check"
run sh -c 'printf "123456\n654321\n" | "$1" override "$2" web --engineer alice --engineer bob --reason "install test" --incident T-1 --pin-stdin' \
	sh "$CS" "$R"
expect_rc 0 "override to the tour's web section"
run sh -c 'printf "123456\n" | "$1" check "$2" web/start-server --engineer alice --pin-stdin' sh "$CS" "$R"
expect_rc 0 "the installed tour starts its web server"
expect_in out "answers on http://127.0.0.1:$port/" "the installed tour's web server"
run sh -c 'printf "123456\n" | "$1" check "$2" web/health --engineer alice --pin-stdin' sh "$CS" "$R"
expect_rc 0 "the installed tour's HTTP check"
run sh -c 'printf "123456\n" | "$1" check "$2" rollback/stop-server --engineer alice --pin-stdin' sh "$CS" "$R"
expect_rc 0 "the installed tour stops its web server"
expect_in out "nothing answers on 127.0.0.1:$port" "the installed tour's web server is stopped"
sh "$D$PKGDATADIR/checklists/tour/server.sh" stop "$port" >/dev/null 2>&1

finish

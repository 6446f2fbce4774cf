#!/bin/sh
# export with hostile and careless input: where -o points (a symbolic link,
# a link to a folder that does not exist, /dev/fd/1 and /proc/self/fd/1 on a
# file, the database itself), a failed standard output said once, and text
# from the record that must neither link, format nor break a report.
. "$(dirname "$0")/lib.sh"

DB=$(db_new cs)
export COUNTERSIGN_DB="$DB" COUNTERSIGN_TEST_PIN_COST=min

cat >"$T/adv.json" <<'EOF'
{
  "countersign": 1,
  "id": "adv",
  "title": "Adversary",
  "sections": [
    {"id": "one", "title": "One", "items": [
      {"id": "say", "title": "Say something", "kind": "command", "run": "echo said"}
    ]}
  ]
}
EOF
printf 'pin-alice-1\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null 2>&1
as alice start "$T/adv.json" --title "Adversary run"
expect_rc 0 "start"
R=$(cat "$T/out")
as alice check "$R" one/say
expect_rc 0 "check"

# --- -o through a symbolic link ------------------------------------------------
# The link stays a link and the file it names gets the report, as "> LINK"
# would have it; an older report there is replaced whole.
mkdir -p "$T/reports"
printf 'the old report\n' >"$T/reports/target.md"
ln -s reports/target.md "$T/link.md"
run "$CS" export "$R" --format md -o "$T/link.md"
expect_rc 0 "-o a symbolic link"
if [ -L "$T/link.md" ]; then ok; else fail "-o a symbolic link: the link is still a link"; fi
cp "$T/reports/target.md" "$T/out"
expect_in out "## Audit anchor" "-o a symbolic link: the file it names has the report"
ls -A "$T/reports" >"$T/out"
expect_eq "$(cat "$T/out")" "target.md" "-o a symbolic link: no temporary file left beside the target"

# a link to a file in a folder that does not exist: an error naming both,
# the link untouched
ln -s "$T/nowhere/t.md" "$T/dangling.md"
run "$CS" export "$R" --format md -o "$T/dangling.md"
expect_rc 3 "-o a link into a missing folder"
expect_in err "countersign: export: cannot write $T/dangling.md" "the message names the path given"
expect_in err "$T/nowhere/t.md" "the message names where the link points"
expect_eq "$(readlink "$T/dangling.md")" "$T/nowhere/t.md" "the dangling link is untouched"

# a loop of links
ln -s loop-b "$T/loop-a"
ln -s loop-a "$T/loop-b"
run "$CS" export "$R" --format md -o "$T/loop-a"
expect_rc 3 "-o a loop of links"
expect_in err "cannot write $T/loop-a" "a loop: the message names the path"
expect_eq "$(readlink "$T/loop-a")" "loop-b" "a loop: the link is untouched"

# --- -o naming this process's own open files -----------------------------------
# /dev/fd/1 and /proc/self/fd/1 are standard output: written in place, after
# what the file already holds, never renamed over (a rename in /proc fails,
# and one over /dev/stdout would replace it for everyone)
for p in /dev/fd/1 /proc/self/fd/1; do
	{ printf 'before\n'; "$CS" export "$R" --format md -o "$p"; } >"$T/viafd.md" 2>"$T/err"
	rc=$?
	expect_rc 0 "-o $p with standard output on a file"
	expect_eq "$(cat "$T/err")" "" "-o $p: no message"
	expect_eq "$(head -n 1 "$T/viafd.md")" "before" "-o $p: what was written before is kept"
	cp "$T/viafd.md" "$T/out"
	expect_in out "## Audit anchor" "-o $p: the report follows it"
done
"$CS" export "$R" --format json -o /dev/fd/1 | python3 -c 'import json, sys; json.load(sys.stdin)' 2>"$T/err"
rc=$?
expect_rc 0 "-o /dev/fd/1 on a pipe"

# --- -o naming the database ----------------------------------------------------
# a report written over the record would destroy it: refused, the database
# untouched, also through a link
if sqlite_file "-o naming the database file"; then
	db_sql "$DB" "pragma wal_checkpoint(truncate)" >/dev/null
	before=$(sha256sum <"$DB")
	run "$CS" export "$R" --format md -o "$DB"
	expect_rc 2 "-o the database"
	expect_in err "countersign: export: $DB is an SQLite database" "the message names the database"
	expect_eq "$(sha256sum <"$DB")" "$before" "the database is untouched"
	ln -s cs.db "$T/db-link.md"
	run "$CS" export "$R" --format html -o "$T/db-link.md"
	expect_rc 2 "-o a link to the database"
	expect_eq "$(sha256sum <"$DB")" "$before" "the database is untouched (through a link)"
fi
run "$CS" verify "$R"
expect_rc 0 "the record still verifies"

# --- standard output that fails: said once -------------------------------------
for f in md html; do
	"$CS" export "$R" --format "$f" >/dev/full 2>"$T/err"
	rc=$?
	expect_rc 3 "export --format $f to a full standard output"
	expect_eq "$(wc -l <"$T/err")" "1" "a full standard output is said once ($f)"
	expect_in err "countersign: export: cannot write to standard output: No space left on device" \
		"the message says why ($f)"
done

# --- text that must not link: bare URLs ---------------------------------------
# GitHub-flavoured Markdown links a bare http://, https://, ftp:// or www.
# by itself; a title, a note or a comment must not (no image can load, and
# no link leads out of a change ticket); an entity is shown as typed
as alice note "$R" one "see http://evil.example/n.png and WWW.evil.example/x or www.evil.example &amp; &#x3C;b&#x3E;"
expect_rc 0 "a note with URLs"
printf 'pin-alice-1\n' | "$CS" start "$T/adv.json" --engineer alice --pin-stdin \
	--title "ftp://evil.example/t HTTPS://evil.example/u" >"$T/out" 2>"$T/err"
R2=$(cat "$T/out")
as alice sign "$R2" one --reject --comment "$(printf 'bad:\nhttps://evil.example/c.png')"
expect_rc 0 "a rejection with a URL"
for r in "$R" "$R2"; do
	run "$CS" export "$r" --format md
	expect_rc 0 "export --format md"
	cp "$T/out" "$T/links.md"
	# outside the fenced output blocks, which Markdown shows as they are
	awk '/^```/ { inside = !inside; next } !inside' "$T/links.md" >"$T/out"
	if grep -Eiq '(http|https|ftp)://|www\.' "$T/out"; then
		fail "a bare URL in the Markdown report: $(grep -Eio '.{10}((http|https|ftp)://|www\.).{10}' "$T/out" | head -n 3)"
	else
		ok
	fi
	if command -v cmark-gfm >/dev/null 2>&1; then
		cmark-gfm -e table -e autolink -e strikethrough -e tagfilter "$T/links.md" >"$T/out"
		expect_not_in out "<a " "the Markdown rendered by cmark-gfm has no link"
		expect_not_in out "<img" "the Markdown rendered by cmark-gfm has no image"
	fi
done
expect_in links.md 'https\://evil.example/c.png' "the URL is shown, its colon escaped"
run "$CS" export "$R" --format md
expect_in out 'WWW\.evil.example/x or www\.evil.example \&amp; \&\#x3C;b\&\#x3E;' "www. and entities escaped"
if command -v cmark-gfm >/dev/null 2>&1; then
	cmark-gfm -e table -e autolink "$T/out" >"$T/links.html"
	expect_in links.html '&amp;amp; &amp;#x3C;b&amp;#x3E;' "an entity reads as typed once rendered"
else
	printf 'cmark-gfm is missing: the Markdown is not rendered\n' >&2
fi

# --- the review screen's export to "-" --------------------------------------------
# On the command line - is standard output; in the interface that is the
# terminal it draws on: refused inside the form, nothing written there
printf 'e <Enter> <C-u> - <Enter>\n:dump dash\n<Esc>\n' >"$T/keys"
mkdir -p "$T/dumps"
(cd "$T" && COUNTERSIGN_UI_SCRIPT="$T/keys" COUNTERSIGN_UI_DUMP_DIR="$T/dumps" COUNTERSIGN_UI_SIZE=120x30 \
	"$CS" review >"$T/out" 2>"$T/err")
rc=$?
expect_rc 0 "review, e, path -"
expect_not_in out "Completion report" "the report is not written on the screen"
cp "$T/dumps/dash" "$T/out"
expect_in out "- is standard output" "the form says why it refuses -"
expect_not_in out "exported run" "nothing is said to be exported"

# --- durations beyond any clock ------------------------------------------------
# lint takes an estimate or a window up to the longest duration (36500d;
# longer is refused: in microseconds it would come near 64 bits); the
# timeline draws them as far as its axis goes instead of a product that
# wrapped around (undefined behaviour)
cat >"$T/big.json" <<'EOF'
{
  "countersign": 1, "id": "big", "title": "Big durations",
  "window": {"duration": "36500d"},
  "sections": [
    {"id": "a", "title": "A", "estimate": "1ms-36499d23h59m59s999ms", "items": [
      {"id": "x", "title": "x", "kind": "command", "run": "true"}]},
    {"id": "b", "title": "B", "estimate": "36500d", "items": [
      {"id": "y", "title": "y", "kind": "command", "run": "true"}]}
  ]
}
EOF
sed 's/"36500d"}/"36500d1ms"}/' "$T/big.json" >"$T/too-big.json"
run "$CS" lint "$T/too-big.json"
expect_rc 2 "a window longer than 36500d is refused"
expect_in err "too long" "lint says the duration is too long"
as alice start "$T/big.json"
R3=$(cat "$T/out")
as alice check "$R3" a/x
expect_rc 0 "check of a run with a window of 36500d"
run "$CS" export "$R3" --format html
expect_rc 0 "export --format html of a window of 36500d"
expect_not_in err "runtime error" "no undefined behaviour"
grep -o '<line class="window"[^>]*>' "$T/out" >"$T/window"
# the axis holds both estimates one after the other (73000d): the window
# ends half-way, and the first estimate takes half of the axis
expect_in window 'x1="593.0"' "the window ends half-way along the axis"
grep -o '<rect class="est-hi" x="250.0"[^>]*>' "$T/out" >"$T/est"
expect_in est 'width="343.0"' "the first section's estimate spans half of the axis"
for f in md json junit; do
	run "$CS" export "$R3" --format "$f"
	expect_rc 0 "export --format $f of a window of 36500d"
	expect_not_in err "runtime error" "no undefined behaviour ($f)"
done
# JSON: whole numbers, exactly
run "$CS" export "$R3" --format json
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
got = (j["run"]["window"]["duration_ms"], j["sections"][0]["estimate"]["high_ms"])
sys.exit(0 if got == (3153600000000, 3153599999999) and all(type(v) is int for v in got) else got)
' "$T/out" 2>"$T/py.err"
rc=$?
expect_rc 0 "the JSON report's durations are exact integers ($(cat "$T/py.err"))"

finish

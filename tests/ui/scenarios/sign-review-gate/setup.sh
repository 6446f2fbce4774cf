# A review gate needing an sre, and a database step needing a performed
# signature by who ran it and an independent DBA approval.
cat >review.json <<'JSON'
{
  "countersign": 1,
  "id": "ui-review",
  "title": "UI review gate",
  "sections": [
    {"id": "look", "title": "Look it over", "phase": "Review",
     "signoffs": {"count": 1, "roles": ["sre"], "meaning": "reviewed"},
     "items": [{"id": "read", "title": "Read the diff", "kind": "manual"}]},
    {"id": "db", "title": "Migrate", "phase": "Database",
     "signoffs": {"count": 1, "roles": ["dba"], "independent": true, "performed": true},
     "items": [{"id": "apply", "title": "Apply", "kind": "command", "run": "true"}]}
  ]
}
JSON
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
printf '654321\n' | "$CS" engineer add bob --full-name "Bob Builder" --pin-stdin >/dev/null
printf '111111\n' | "$CS" engineer add carol --full-name "Carol Example" --pin-stdin >/dev/null
printf '123456\n654321\n' | "$CS" engineer role carol --add sre --by alice --by bob --pin-stdin >/dev/null
printf '123456\n654321\n' | "$CS" engineer role carol --add dba --by alice --by bob --pin-stdin >/dev/null
run=$(printf '123456\n' | "$CS" start review.json --engineer alice --pin-stdin)
printf '123456\n' | "$CS" attest "$run" look/read --engineer alice --yes --pin-stdin >/dev/null

# A database step whose gate needs an approver holding the role dba who did
# not run its items: carol and dave hold dba (each granted with the PINs of
# two other engineers); alice ran the migration; bob holds no role.
cat >roles.json <<'JSON'
{
  "countersign": 1,
  "id": "ui-roles",
  "title": "UI sign-off by role",
  "sections": [
    {"id": "migrate", "title": "Migrate the schema", "phase": "Database",
     "signoffs": {"count": 1, "roles": ["dba"], "independent": true},
     "items": [{"id": "apply", "title": "Apply the migration", "kind": "command", "run": "true"}]},
    {"id": "ship", "title": "Ship", "phase": "Deployment", "items": [
      {"id": "go", "title": "Go live", "kind": "manual"}
    ]}
  ]
}
JSON
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
printf '654321\n' | "$CS" engineer add bob --full-name "Bob Builder" --pin-stdin >/dev/null
printf '111111\n' | "$CS" engineer add carol --full-name "Carol Example" --pin-stdin >/dev/null
printf '222222\n' | "$CS" engineer add dave --full-name "Dave Example" --pin-stdin >/dev/null
printf '123456\n654321\n' | "$CS" engineer role carol --add dba --by alice --by bob --pin-stdin >/dev/null
printf '123456\n654321\n' | "$CS" engineer role dave --add dba --by alice --by bob --pin-stdin >/dev/null
run=$(printf '123456\n' | "$CS" start roles.json --engineer alice --pin-stdin)
printf '123456\n' | "$CS" check "$run" migrate/apply --engineer alice --pin-stdin >/dev/null

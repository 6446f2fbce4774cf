# A gate whose policy asks for an approver who did not do the work and a
# "performed" signature by one who did: alice ran the build; bob and carol
# did nothing in the section.
cat >meaning.json <<'JSON'
{
  "countersign": 1,
  "id": "ui-meaning",
  "title": "UI signature meanings",
  "sections": [
    {"id": "build", "title": "Build", "phase": "Pre-Deployment",
     "signoffs": {"count": 1, "independent": true, "performed": true},
     "items": [{"id": "make", "title": "Build it", "kind": "command", "run": "true"}]},
    {"id": "ship", "title": "Ship", "phase": "Deployment", "items": [
      {"id": "go", "title": "Go live", "kind": "manual"}
    ]}
  ]
}
JSON
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
printf '654321\n' | "$CS" engineer add bob --full-name "Bob Builder" --pin-stdin >/dev/null
printf '111111\n' | "$CS" engineer add carol --full-name "Carol Example" --pin-stdin >/dev/null
run=$(printf '123456\n' | "$CS" start meaning.json --engineer alice --pin-stdin)
printf '123456\n' | "$CS" check "$run" build/make --engineer alice --pin-stdin >/dev/null

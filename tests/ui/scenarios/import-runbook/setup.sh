# A checklist, three Markdown runbooks and a checklist already made (and
# refined by hand) from one of them: checklists/cache.md imports cleanly,
# checklists/notes.md has nothing to import, runbooks/shop.json is there
# beside runbooks/shop.md.
printf '123456\n' | "$CS" engineer add alice --full-name "Alice Example" --pin-stdin >/dev/null
mkdir checklists runbooks
cp deploy.json checklists/
cat >checklists/cache.md <<'MD'
# Flush the cache

## Before

### Check

- [ ] **Tell the on-call engineer**
- [x] **Change approved** in the ticket

## Flush

### Flush the cache (2 minutes)

```bash
redis-cli -h <cache host> FLUSHALL
```

Expected keys afterwards:
```json
{"keys": 0}
```
MD
printf 'Notes about the shop.\n\nNothing to do here.\n' >checklists/notes.md
cat >runbooks/shop.md <<'MD'
# Restart the shop

## Restart

### Restart the pods

```bash
kubectl rollout restart deployment/shop -n shop
```
MD
cat >runbooks/shop.json <<'JSON'
{"countersign": 1, "id": "shop-by-hand", "title": "Restart the shop, refined by hand",
 "sections": [{"id": "restart", "title": "Restart", "items": [
   {"id": "go", "title": "Restart", "kind": "command", "run": "true"}]}]}
JSON

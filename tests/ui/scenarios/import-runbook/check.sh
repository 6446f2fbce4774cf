# What the dialogs saved is what `countersign import` prints, and lints;
# the hand-made checklist was replaced only when asked (last); nothing else
# was written beside the runbooks.
set -e
"$CS" import checklists/cache.md >expected-cache.json 2>/dev/null
cmp expected-cache.json checklists/cache.json
"$CS" import runbooks/shop.md >expected-shop.json 2>/dev/null
cmp expected-shop.json runbooks/shop.json
"$CS" lint checklists/cache.json runbooks/shop.json >/dev/null
test "$(ls -A runbooks | tr '\n' ' ')" = "shop.json shop.md "
test ! -e checklists/notes.json
test "$(ls -A checklists | tr '\n' ' ')" = "cache.json cache.md deploy.json notes.md "

#!/bin/sh
# Send each fault through the gateway and print the status its client got, as the rows of docs/faults.md's
# table ("none": no status line at all, curl's 000). GATEWAY: the gateway's base URL; FAULTS: the faults to send.
gateway="${GATEWAY:-http://gateway:8080}"
faults="${FAULTS:-reset empty garbage truncate(10) malformed-chunk hang slow-headers(4s) slow-body(1KB) big-headers(64KB)}"
printf '| fault | %s answers |\n|---|---|\n' "${GATEWAY_NAME:-nginx}"
for f in $faults; do
  # A failed transfer is the point here (curl exits non-zero): only the status matters.
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$gateway/json/valid?fault=$f")
  [ "$code" = "000" ] && code=none
  printf '| `%s` | %s |\n' "$f" "$code"
done
# The gateway and the upstream both serve on after the faults.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$gateway/json/valid")
printf '| (none) | %s |\n' "$code"
[ "$code" = "200" ]

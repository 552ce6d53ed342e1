#!/usr/bin/env bash
# Installs what executing the notebooks headlessly needs: Debian's Jupyter (nbconvert + client),
# the GoNB kernel v0.11.5 and goimports, then registers the kernel (its spec holds an absolute
# path, so this runs on every machine). Idempotent.
set -euo pipefail
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
export HOME=${HOME:-/root}
gobin=$(go env GOPATH)/bin
export PATH="$gobin:$PATH"

if ! command -v jupyter-nbconvert >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends jupyter-nbconvert jupyter-client
fi
if ! command -v gonb >/dev/null 2>&1; then
  # The module proxy refuses the version list `go install gonb@v0.11.5` asks for: go through a
  # scratch module instead.
  scratch=$(mktemp -d)
  (cd "$scratch" && go mod init gonbinstall >/dev/null 2>&1 \
    && go get github.com/janpfeifer/gonb@v0.11.5 \
    && go install github.com/janpfeifer/gonb)
  rm -rf "$scratch"
fi
command -v goimports >/dev/null 2>&1 || go install golang.org/x/tools/cmd/goimports@v0.52.0
gonb --install --force_deps --logtostderr 2>&1 | tail -n 2

# prewarm — see README.md. Every target works on a fresh clone: tools come
# from tools.mod, the control plane is built from the Go module proxy into
# .cache/ (ignored) and reused.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
TOOL := $(GO) tool -modfile=$(CURDIR)/tools.mod
BIN := $(CURDIR)/bin
CACHE := $(CURDIR)/.cache
KUBE_VERSION := v1.37.2
CONTROLPLANE_DIR := $(CACHE)/controlplane/$(KUBE_VERSION)
export PREWARM_CONTROLPLANE_DIR := $(CONTROLPLANE_DIR)

.PHONY: all build demo deps test unit live generate verify-generate controlplane clean help

all: build

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/prewarm
	$(GO) build -o $(BIN)/prewarm ./cmd/prewarm

demo: build ## render the example Workspace and the Task pod it produces
	./examples/demo.sh

GOTESTSUM := $(TOOL) gotestsum --format testname --format-hide-empty-pkg

test: deps verify-generate unit controlplane live ## everything CI runs

deps: ## system tools the script tests run (apt-get when root)
	./tests/install-deps.sh

unit: ## Go unit tests (YAML case tables)
	$(GOTESTSUM) -- -count=1 ./...

generate: ## regenerate deepcopy and the CRDs from pkg/api
	$(TOOL) controller-gen object paths=./pkg/api/...
	$(TOOL) controller-gen crd:crdVersions=v1 paths=./pkg/api/... output:crd:artifacts:config=config/crd

verify-generate: generate ## fail when generated files differ from what is committed
	@git diff --exit-code -- config/crd pkg/api || { echo "generated files are stale: run 'make generate' and commit" >&2; exit 1; }

controlplane: ## build etcd + kube-apiserver $(KUBE_VERSION) into .cache (once)
	./tests/controlplane/build.sh "$(CONTROLPLANE_DIR)"

live: controlplane ## tests against a real etcd + kube-apiserver, real npm/go/pip/cargo/maven
	cd tests && $(GOTESTSUM) -- -count=1 -timeout 30m ./...

clean:
	rm -rf $(BIN)

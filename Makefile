# torqlog: two entry points for a fresh Debian machine with Swift.
#   make demo   installs what is missing, builds in release, runs `torqlog demo`
#   make test   installs what is missing, runs `swift test`

APT_PACKAGES := liblz4-dev lz4 libsimdjson-dev zlib1g-dev pkg-config libsqlite3-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT_TEST_FLAGS ?=

.PHONY: deps demo test build release clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@python3 -c 'import lz4.frame' 2>/dev/null || python3 -m pip install -q lz4
	@# The telemetry tests cross-check the validator against the JSON Schema with Python's jsonschema.
	@python3 -c 'import jsonschema' 2>/dev/null || python3 -m pip install --quiet jsonschema 2>/dev/null \
	  || python3 -m pip install --quiet --user --break-system-packages jsonschema 2>/dev/null \
	  || DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-jsonschema
	@# The OTLP export tests parse every exported line with the official OpenTelemetry protobuf definitions.
	@python3 -c 'import opentelemetry.proto' 2>/dev/null || python3 -m pip install --quiet opentelemetry-proto 2>/dev/null \
	  || python3 -m pip install --quiet --user --break-system-packages opentelemetry-proto 2>/dev/null || true

release: deps
	swift build -c release --product torqlog

demo: release
	./.build/release/torqlog demo

build: deps
	swift build

test: deps
	swift test $(SWIFT_TEST_FLAGS)
	@# Smoke run of every benchmark on the debug build (exit status 2: the systems disagree on the event counts).
	swift build --product torqlog-bench && swift build --product torqlog
	.build/debug/torqlog-bench --events 3000 --repeat 1 --runs 1 --torqlog .build/debug/torqlog --quiet --format json > /dev/null

clean:
	rm -rf .build

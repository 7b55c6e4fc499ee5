# torqlog: two entry points for a fresh Debian machine with Swift.
#   make demo   installs what is missing, builds in release, runs `torqlog demo`
#   make test   installs what is missing, runs `swift test`
# and the usual pair for putting it on the system:
#   make install [PREFIX=/usr/local] [DESTDIR=]   the binary, its manual pages, bash/zsh/fish completions
#   make uninstall [PREFIX=...] [DESTDIR=]        removes exactly those files

APT_PACKAGES := liblz4-dev lz4 libsimdjson-dev zlib1g-dev pkg-config libsqlite3-dev
# For the tests only: the viewer's tests drive the pages in headless Chromium (selenium).
TEST_APT_PACKAGES := chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT_TEST_FLAGS ?=

# Installation directories (GNU conventions; DESTDIR is prepended to all of them for staged installs).
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATAROOTDIR ?= $(PREFIX)/share
MANDIR ?= $(DATAROOTDIR)/man
MAN1DIR ?= $(MANDIR)/man1
BASH_COMPLETION_DIR ?= $(DATAROOTDIR)/bash-completion/completions
ZSH_COMPLETION_DIR ?= $(DATAROOTDIR)/zsh/site-functions
FISH_COMPLETION_DIR ?= $(DATAROOTDIR)/fish/vendor_completions.d
INSTALL ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 0755
INSTALL_DATA ?= $(INSTALL) -m 0644

# One manual page per command, as git does (torqlog.1, torqlog.ingest.1, ...): generate-manual --multi-page.
# Keep this list in step with TorqLog's subcommands (`help` is argument-parser's own);
# `make man` and InstallTests fail when they differ.
TORQLOG_SUBCOMMANDS := ingest export replay tail seal compact archive verify info demo compliance schema telemetry trace serve forward help
MAN_PAGES := torqlog.1 $(TORQLOG_SUBCOMMANDS:%=torqlog.%.1)
# Where the GenerateManual plugin writes them (it builds every product in release first).
MAN_BUILD_DIR := .build/plugins/GenerateManual/outputs/torqlog
# The manual's date: the last commit's, so that the pages do not change from one build to the next.
MAN_DATE ?= $(shell git log -1 --format=%cs 2>/dev/null)
COMPLETION_BUILD_DIR := .build/completions

.PHONY: deps test-deps demo test build release clean man completions install uninstall

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
	@# The serve tests run agents instrumented with the official OpenTelemetry SDK, exporting over OTLP/HTTP.
	@python3 -c 'import opentelemetry.sdk.trace, opentelemetry.exporter.otlp.proto.http.trace_exporter' 2>/dev/null \
	  || python3 -m pip install --quiet opentelemetry-sdk opentelemetry-exporter-otlp-proto-http 2>/dev/null \
	  || python3 -m pip install --quiet --user --break-system-packages opentelemetry-sdk opentelemetry-exporter-otlp-proto-http 2>/dev/null || true

test-deps: deps
	@missing=""; for p in $(TEST_APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@# The viewer's browser tests drive headless Chromium with selenium.
	@python3 -c 'import selenium' 2>/dev/null || python3 -m pip install --quiet selenium 2>/dev/null \
	  || python3 -m pip install --quiet --user --break-system-packages selenium 2>/dev/null || true

release: deps
	swift build -c release --product torqlog

demo: release
	./.build/release/torqlog demo

build: deps
	swift build

test: test-deps
	swift test $(SWIFT_TEST_FLAGS)
	@# Smoke run of every benchmark on the debug build (exit status 2: the systems disagree on the event counts).
	swift build --product torqlog-bench && swift build --product torqlog
	.build/debug/torqlog-bench --events 3000 --interleaved-events 6000 --interleaved-runs 200 --repeat 1 --runs 1 --torqlog .build/debug/torqlog --quiet --format json > /dev/null

# The manual pages, from the release binary's own description of its commands.
man: release
	rm -rf $(MAN_BUILD_DIR)
	swift package plugin generate-manual --multi-page $(if $(MAN_DATE),--date $(MAN_DATE))
	@# The blank line between two paragraphs of a discussion becomes mdoc's paragraph macro .Pp (groff and mandoc warn about blank lines).
	sed -i 's/^$$/.Pp/' $(MAN_BUILD_DIR)/*.1
	@missing=""; for page in $(MAN_PAGES); do [ -f $(MAN_BUILD_DIR)/$$page ] || missing="$$missing $$page"; done; \
	extra=""; for page in $$(ls $(MAN_BUILD_DIR)); do \
	  case " $(MAN_PAGES) " in *" $$page "*) ;; *) extra="$$extra $$page" ;; esac; \
	done; \
	if [ -n "$$missing$$extra" ]; then \
	  echo "the manual pages differ from TORQLOG_SUBCOMMANDS in the Makefile (listed, not generated:$${missing:- none};" \
	    "generated, not listed:$${extra:- none})" >&2; \
	  exit 1; \
	fi

# The completion scripts argument-parser generates, for bash, zsh and fish.
completions: release
	mkdir -p $(COMPLETION_BUILD_DIR)
	for shell in bash zsh fish; do \
	  .build/release/torqlog --generate-completion-script $$shell > $(COMPLETION_BUILD_DIR)/torqlog.$$shell.tmp \
	    && mv $(COMPLETION_BUILD_DIR)/torqlog.$$shell.tmp $(COMPLETION_BUILD_DIR)/torqlog.$$shell || exit 1; \
	done

install: release man completions
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) \
	  $(DESTDIR)$(BASH_COMPLETION_DIR) $(DESTDIR)$(ZSH_COMPLETION_DIR) $(DESTDIR)$(FISH_COMPLETION_DIR)
	$(INSTALL_PROGRAM) .build/release/torqlog $(DESTDIR)$(BINDIR)/torqlog
	$(INSTALL_DATA) $(addprefix $(MAN_BUILD_DIR)/,$(MAN_PAGES)) $(DESTDIR)$(MAN1DIR)/
	$(INSTALL_DATA) $(COMPLETION_BUILD_DIR)/torqlog.bash $(DESTDIR)$(BASH_COMPLETION_DIR)/torqlog
	$(INSTALL_DATA) $(COMPLETION_BUILD_DIR)/torqlog.zsh $(DESTDIR)$(ZSH_COMPLETION_DIR)/_torqlog
	$(INSTALL_DATA) $(COMPLETION_BUILD_DIR)/torqlog.fish $(DESTDIR)$(FISH_COMPLETION_DIR)/torqlog.fish

# Removes the files `make install` puts there, and nothing else (directories stay, as they may be shared).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/torqlog $(addprefix $(DESTDIR)$(MAN1DIR)/,$(MAN_PAGES)) \
	  $(DESTDIR)$(BASH_COMPLETION_DIR)/torqlog $(DESTDIR)$(ZSH_COMPLETION_DIR)/_torqlog \
	  $(DESTDIR)$(FISH_COMPLETION_DIR)/torqlog.fish

clean:
	rm -rf .build

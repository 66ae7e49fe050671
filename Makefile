# cassandra-backups: one GNU Makefile for the whole suite.
#
#   make                 build every program into bin/
#   make check           install test dependencies (as root), build, run all
#                        tests normally and under ASan+UBSan (clang)
#   make demo            local S3 server + simulated cluster: backup, list, restore
#   make bench           benchmarks against peer tools (prints ratios)
#   make fuzz            run the libFuzzer targets (FUZZ_SECONDS shared)
#   make install PREFIX=/usr/local DESTDIR=...
#
# Objects go to $(O) and programs to $(BIN), so a sanitizer build can sit
# beside the normal one: make O=build/asan BIN=build/asan/bin SAN=1.

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=

CC       ?= cc
O        ?= build/obj
BIN      ?= bin
PKGS      = libcurl openssl lzo2 yaml-0.1 expat

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS   ?= -O2 -g
WARN      = -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN     += -Werror
endif
ifeq ($(SAN),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DCB_VERSION='"$(VERSION)"' -pthread \
             -Ilib $(PKG_CFLAGS) $(WARN) $(CFLAGS) -MMD -MP
ALL_LIBS   = $(PKG_LIBS) -pthread -lm

LIB_SRC   = $(wildcard lib/*.c)
LIB_OBJ   = $(LIB_SRC:%.c=$(O)/%.o)
LIBCB     = $(O)/libcb.a

# Each cmd/cb-NAME/ holding C sources is one program; cmd/NAME/NAME.sh is a
# POSIX sh program (the driver cassandra-backups, the node program cb-node).
PROG_DIRS = $(patsubst %/,%,$(dir $(wildcard cmd/cb-*/main.c)))
PROGS     = $(notdir $(PROG_DIRS))
SCRIPTS   = $(notdir $(patsubst %/,%,$(dir $(wildcard cmd/*/*.sh))))
TARGETS   = $(PROGS:%=$(BIN)/%) $(SCRIPTS:%=$(BIN)/%)

UNIT_SRC  = $(wildcard test/unit/test_*.c)
UNITS     = $(UNIT_SRC:test/unit/%.c=$(O)/test/%)

MANPAGES  = $(wildcard man/*.[1-8])

.PHONY: all check check-deps test unit demo bench fuzz install clean lint-man deb
.SUFFIXES:
.SECONDARY:

all: $(TARGETS)

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBCB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

.SECONDEXPANSION:
$(BIN)/cb-%: $$(addprefix $(O)/,$$(subst .c,.o,$$(wildcard cmd/cb-$$*/*.c))) $(LIBCB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(ALL_LIBS)

# (a static pattern rule: it wins over $(BIN)/cb-% for cb-node, a script)
$(SCRIPTS:%=$(BIN)/%): $(BIN)/%: cmd/$$*/$$*.sh
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(VERSION)/g' $< >$@.tmp && chmod 755 $@.tmp && mv $@.tmp $@

$(O)/test/%: test/unit/%.c test/unit/unit.h $(LIBCB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBCB) $(ALL_LIBS)

unit: $(UNITS)

# The test command. It installs what the tests need (when run as root),
# builds a gcc variant and a clang ASan+UBSan variant with -Werror, and runs
# the whole suite against each. The last line is "N passed, N failed".
# check and demo work on a bare machine: test/deps.sh runs first, and each
# build is a new $(MAKE), which reads pkg-config only once the -dev
# packages are there (this make computed PKG_CFLAGS before they were).
check:
	sh test/deps.sh
	$(MAKE) WERROR=1 all unit
	$(MAKE) WERROR=1 CC=clang O=build/asan BIN=build/asan/bin SAN=1 all unit
	bash test/run.sh

test: all unit
	bash test/run.sh --quick

demo:
	sh test/deps.sh
	$(MAKE) all
	bash test/demo.sh

bench:
	sh test/deps.sh
	$(MAKE) all
	bash bench/run.sh

fuzz:
	bash test/fuzz/run.sh

lint-man:
	@for m in $(MANPAGES); do mandoc -T lint -W warning $$m || exit 1; done

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(TARGETS) $(DESTDIR)$(BINDIR)
	for m in $(MANPAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s; done

# The Debian package, built with dpkg-buildpackage on a copy of the tree in
# $(DEB_DIR) (under build/, or outside the tree), where the .deb lands:
# the tree's own bin/ and build/ are left alone.  See debian/README.Debian.
DEB_DIR  ?= build/deb
deb:
	@v=$$(dpkg-parsechangelog -S Version) && [ "$$v" = $(VERSION) ] || \
	    { echo "deb: debian/changelog is at $$v, not $(VERSION)" >&2; exit 1; }
	rm -rf $(DEB_DIR)/cassandra-backups-$(VERSION)
	mkdir -p $(DEB_DIR)/cassandra-backups-$(VERSION)
	tar -c --exclude=./.git --exclude=./bin --exclude=./build . | \
	    tar -x -C $(DEB_DIR)/cassandra-backups-$(VERSION)
	cd $(DEB_DIR)/cassandra-backups-$(VERSION) && \
	    dpkg-buildpackage -us -uc -b -Jauto
	rm -rf $(DEB_DIR)/cassandra-backups-$(VERSION)
	@ls $(DEB_DIR)/*.deb

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)

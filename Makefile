# Top-level build of criu.  Generated code (protobuf-c, Python bindings) and
# objects go to $(BUILD); the source folders only ever hold what we wrote.
#
#   make            build criu/criu and crit
#   make test       build and run every test, ending with "N passed, N failed"
#   make demo       show what the tool does on this machine
#   make bench      benchmarks (figures, never pass/fail)
#   make format-check   clang-format conformance of our C sources

BUILD	?= build
.DEFAULT_GOAL := all
CC	?= gcc
PKGS	:= libprotobuf-c
V	?= 0
ifeq ($(V),0)
Q	:= @
else
Q	:=
endif

# Install what the build needs when it is missing (a fresh Debian machine).
DEPS_STAMP := $(BUILD)/.deps-ok
$(DEPS_STAMP): scripts/install-deps.sh
	$(Q)scripts/install-deps.sh --check-or-install
	$(Q)mkdir -p $(BUILD) && touch $@

WARN	:= -Wall -Wextra -Werror -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 -g -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) \
	-Icriu/include -Icompel/include -I$(BUILD)/images -I$(BUILD)
CFLAGS	?= -O2
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS)
SAN_FLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# compel (compel/Makefile.inc builds it) is linked into criu and everything
# that links criu's objects (unit tests, the image mutation test).
COMPEL_LIB := $(BUILD)/compel/libcompel.a
LDLIBS	:= $(COMPEL_LIB) -lprotobuf-c

VERSION	:= $(shell cat VERSION 2>/dev/null || echo 0.0)
GITID	:= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)

.PHONY: all clean test demo bench format format-check install-deps
# Keep intermediate objects (sanitizer builds) between runs.
.SECONDARY:
all: criu/criu crit

# ---------------------------------------------------------------- images
# Every images/*.proto becomes protobuf-c C (for criu) and Python (for crit).
# opts.proto extends descriptor.proto, which Debian ships in /usr/include.
PROTOS	  := $(wildcard images/*.proto)
PROTO_INC := -Iimages -I/usr/include
PB_C	  := $(PROTOS:images/%.proto=$(BUILD)/images/%.pb-c.c) \
	     $(BUILD)/images/google/protobuf/descriptor.pb-c.c
PB_H	  := $(PB_C:.c=.h)
PB_O	  := $(PB_C:.c=.o)
PB_PY_STAMP := $(BUILD)/py/.stamp

$(BUILD)/images/%.pb-c.c $(BUILD)/images/%.pb-c.h: images/%.proto $(DEPS_STAMP)
	@echo "  PROTOC-C $<"
	$(Q)mkdir -p $(BUILD)/images
	$(Q)protoc-c $(PROTO_INC) --c_out=$(BUILD)/images $<

$(BUILD)/images/google/protobuf/descriptor.pb-c.c $(BUILD)/images/google/protobuf/descriptor.pb-c.h: $(DEPS_STAMP)
	@echo "  PROTOC-C descriptor.proto"
	$(Q)mkdir -p $(BUILD)/images
	$(Q)protoc-c -I/usr/include --c_out=$(BUILD)/images /usr/include/google/protobuf/descriptor.proto

# protoc names modules after the file with '-' turned into '_', so one stamp
# stands for all of them.
$(PB_PY_STAMP): $(PROTOS) $(DEPS_STAMP)
	@echo "  PROTOC-PY images/*.proto"
	$(Q)mkdir -p $(BUILD)/py
	$(Q)protoc $(PROTO_INC) --python_out=$(BUILD)/py $(PROTOS)
	$(Q)touch $@

$(BUILD)/images/%.pb-c.o: $(BUILD)/images/%.pb-c.c | $(PB_H)
	@echo "  CC       $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-error -c -o $@ $<

# ---------------------------------------------------------------- criu
CRIU_SRCS := $(wildcard criu/*.c) $(wildcard criu/arch/x86/*.c)
CRIU_MAIN := criu/crtools.c
CRIU_OBJS := $(CRIU_SRCS:%.c=$(BUILD)/%.o)
CRIU_LIB_OBJS := $(filter-out $(BUILD)/criu/crtools.o,$(CRIU_OBJS))
VERSION_H := $(BUILD)/version.h

$(VERSION_H): VERSION FORCE
	$(Q)mkdir -p $(BUILD)
	$(Q)printf '#define CRIU_VERSION "%s"\n#define CRIU_GITID "%s"\n' "$(VERSION)" "$(GITID)" > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
.PHONY: FORCE
FORCE:

$(BUILD)/%.o: %.c | $(PB_H) $(VERSION_H)
	@echo "  CC       $<"
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

criu/criu: $(CRIU_OBJS) $(PB_O) $(COMPEL_LIB)
	@echo "  LINK     $@"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(CRIU_OBJS) $(PB_O) $(LDLIBS)

# ---------------------------------------------------------------- crit
# crit is Python (Debian's python3-protobuf); it needs the generated modules.
.PHONY: crit
crit: $(PB_PY_STAMP)

# ---------------------------------------------------------------- tests
# Unit tests link every criu object but main, rebuilt with ASan/UBSan.
SAN_DIR	  := $(BUILD)/san
SAN_OBJS  := $(CRIU_LIB_OBJS:$(BUILD)/%=$(SAN_DIR)/%) $(PB_O:$(BUILD)/%=$(SAN_DIR)/%)
UNIT_SRCS := $(wildcard test/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:test/unit/%.c=$(BUILD)/test/unit/%)

$(SAN_DIR)/%.o: %.c | $(PB_H) $(VERSION_H)
	@echo "  CC [san] $<"
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

$(SAN_DIR)/images/%.o: $(BUILD)/images/%.c | $(PB_H)
	@echo "  CC [san] $<"
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -Wno-error -c -o $@ $<

$(BUILD)/test/unit/%: test/unit/%.c $(SAN_OBJS) $(COMPEL_LIB)
	@echo "  LINK     $@"
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -Itest/unit -MMD -MP -o $@ $< $(SAN_OBJS) $(LDLIBS)
$(BUILD)/test/unit/img-mutate: $(COMPEL_LIB)

# Test helper programs (victims, checkpoint/restore test programs) are plain
# C built without sanitizers: test/progs/*.c -> $(BUILD)/test/progs/*
PROG_SRCS := $(wildcard test/progs/*.c)
PROG_BINS := $(PROG_SRCS:test/progs/%.c=$(BUILD)/test/progs/%)
$(BUILD)/test/progs/%: test/progs/%.c
	@echo "  CC       $<"
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP -o $@ $< -lpthread

test-build: all $(UNIT_BINS) $(PROG_BINS)
.PHONY: test-build

test: test-build
	$(Q)test/run-all.sh

demo: all $(BUILD)/test/progs/counter
	$(Q)scripts/demo.sh

bench: all
	$(Q)test/bench/run.sh

# ---------------------------------------------------------------- style
FMT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^test/fixtures/')
format-check:
	$(Q)clang-format --dry-run --Werror $(FMT_SRCS) && echo "format-check: OK"
format:
	$(Q)clang-format -i $(FMT_SRCS)

install-deps:
	$(Q)scripts/install-deps.sh

clean:
	rm -rf $(BUILD) criu/criu

# Each area may add rules of its own in a fragment it owns.
-include images/Makefile.inc compel/Makefile.inc criu/Makefile.inc lib/Makefile.inc test/Makefile.inc Documentation/Makefile.inc

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

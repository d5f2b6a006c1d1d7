# bypass: one `make` builds the module, libbypass, the tools and the tests.
#
#   make            build everything
#   make check      host tests, then the VM selftests in one boot; ends with
#                   "N passed, M failed"
#   make deps       install the Debian packages the project needs
#   make vm         shell in the test VM with bypass.ko loaded
#   make checkpatch checkpatch.pl --strict on kmod/ and uapi/

.DEFAULT_GOAL := all

KVER ?= $(shell mk/kver.sh 6.1)
KDIR ?= /lib/modules/$(KVER)/build
B := build

CC ?= cc
CFLAGS_COMMON := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -fPIC \
	-Iuapi -Iuser/include -isystem $(B)/linux/include
CFLAGS ?= -O2
HOST_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# libbypass by layer: device (virtqueues, devices, buffers), net (the
# stack's poll loop, Ethernet/ARP/IPv4/ICMP/UDP), tcp (the engine), api
# (the native and socket APIs). Its own files and the tests that reach
# into it include the layers' headers by name.
LIB_LAYERS := device net tcp api
LIB_INC := $(LIB_LAYERS:%=-Iuser/lib/%)
LIB_SRCS := $(sort $(wildcard $(LIB_LAYERS:%=user/lib/%/*.c)))
LIB_OBJS := $(LIB_SRCS:user/lib/%.c=$(B)/lib/%.o)
SAN_OBJS := $(LIB_SRCS:user/lib/%.c=$(B)/lib-san/%.o)
LIB_HDRS := $(wildcard user/include/*.h $(LIB_LAYERS:%=user/lib/%/*.h)) uapi/linux/bypass.h

TOOL_SRCS := $(sort $(wildcard user/tools/*.c))
TOOLS := $(TOOL_SRCS:user/tools/%.c=$(B)/bin/%)

HOST_TEST_SRCS := $(sort $(wildcard user/tests/test_*.c))
HOST_TESTS := $(HOST_TEST_SRCS:user/tests/%.c=$(B)/tests/%)

# Tests that need bypass.ko loaded with unsafe_noiommu=1 (their own boot).
UNSAFE_SRCS := $(sort $(wildcard selftests/unsafe/*.c))
UNSAFE_TESTS := $(UNSAFE_SRCS:selftests/unsafe/%.c=$(B)/selftests-unsafe/%)

HARNESS := $(B)/linux/.stamp

# Fragments owned by parts of the tree (e.g. mk/user.mk) add their own rules.
-include $(wildcard mk/*.mk)

.PHONY: all kmod kmod-other user tests selftests deps check checkpatch bench vm clean
all: kmod user tests

deps:
	@mk/deps.sh

$(HARNESS): mk/linux-src.sh
	@mk/linux-src.sh $(B)/linux

kmod:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules
	@cp -f kmod/bypass.ko $(B)/ 2>/dev/null || true

# Build the module against another installed kernel series (default 6.12)
# in a copy of the tree, so kmod/bypass.ko stays the one the VM loads.
OTHER_SERIES ?= 6.12
kmod-other:
	@kver=$$(mk/kver.sh $(OTHER_SERIES)); \
	if [ -z "$$kver" ]; then echo "no $(OTHER_SERIES) kernel headers (make deps)"; exit 1; fi; \
	rm -rf $(B)/kmod-$(OTHER_SERIES) && mkdir -p $(B)/kmod-$(OTHER_SERIES) && \
	cp -r Kbuild kmod uapi $(B)/kmod-$(OTHER_SERIES)/ && \
	rm -f $(B)/kmod-$(OTHER_SERIES)/kmod/*.o $(B)/kmod-$(OTHER_SERIES)/kmod/.*.cmd && \
	$(MAKE) -C /lib/modules/$$kver/build M=$(CURDIR)/$(B)/kmod-$(OTHER_SERIES) W=1 modules

user: $(B)/libbypass.a $(B)/libbypass.so $(B)/bypass.pc $(TOOLS)
tests: $(HOST_TESTS) selftests $(UNSAFE_TESTS)

$(B)/lib/%.o: user/lib/%.c $(LIB_HDRS) | $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(LIB_INC) -c -o $@ $<

$(B)/lib-san/%.o: user/lib/%.c $(LIB_HDRS) | $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O1 $(HOST_SAN) $(LIB_INC) -c -o $@ $<

$(B)/libbypass.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/libbypass-san.a: $(SAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/libbypass.so: $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libbypass.so.1 -o $@ $^

$(B)/bypass.pc: user/bypass.pc.in
	@mkdir -p $(@D)
	sed 's|@PREFIX@|$(CURDIR)|' $< >$@

$(B)/bin/%: user/tools/%.c $(B)/libbypass.a $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -o $@ $< $(B)/libbypass.a

$(B)/tests/%: user/tests/%.c $(B)/libbypass-san.a $(LIB_HDRS) | $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O1 $(HOST_SAN) $(LIB_INC) -o $@ $< $(B)/libbypass-san.a

# The VM selftests are a kselftest collection: their own Makefile, on
# kselftest's lib.mk, builds them into $(B)/selftests/.
selftests: user | $(HARNESS)
	@$(MAKE) --no-print-directory -C selftests/bypass OUTPUT=$(CURDIR)/$(B)/selftests

$(B)/selftests-unsafe/%: selftests/unsafe/%.c selftests/bypass/*.h $(B)/libbypass.a $(LIB_HDRS) | $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -Iselftests/bypass -o $@ $< $(B)/libbypass.a

checkpatch: $(HARNESS)
	@$(B)/linux/scripts/checkpatch.pl --strict --no-tree --quiet \
		-f $(filter-out %.mod.c kmod/compat.h,$(wildcard kmod/*.c kmod/*.h)) \
		uapi/linux/*.h
	@# compat.h exists to test LINUX_VERSION_CODE (out-of-tree code builds
	@# against several kernels); only those two checks are waived there.
	@$(B)/linux/scripts/checkpatch.pl --strict --no-tree --quiet \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kmod/compat.h
	@echo "checkpatch: clean"

check:
	@mk/deps.sh
	@mk/check.sh

# Every benchmark, one report: build/bench/report/report.md (bench/report.sh).
bench: all
	@mk/deps.sh
	@bench/report.sh

vm: all
	selftests/vm/run $(VM_ARGS)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(B)

# libbypass build rules beyond the top Makefile's: the libFuzzer targets for
# the receive path and for the TCP engine (clang, ASan + UBSan), built with
# the host tests, and `make fuzz` / `make fuzz-tcp` to run them for longer
# (FUZZ_SECONDS, default 600).

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Iuapi -Iuser/include $(LIB_INC) -Iuser/tests \
	-isystem $(B)/linux/include

FUZZ_TARGETS := $(B)/fuzz/fuzz_rx
FUZZ_SEEDS := $(B)/fuzz/seeds-rx/.stamp
FUZZ_HDRS := user/fuzz/fuzz_rx.h user/tests/frames.h

$(B)/fuzz/fuzz_rx: user/fuzz/fuzz_rx.c $(LIB_SRCS) $(LIB_HDRS) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRCS)

# Well-formed frames of every layer, so fuzzing starts deep.
$(B)/fuzz/fuzz_seeds: user/fuzz/fuzz_seeds.c $(B)/libbypass.a $(LIB_HDRS) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(LIB_INC) -Iuser/tests -o $@ $< $(B)/libbypass.a

$(FUZZ_SEEDS): $(B)/fuzz/fuzz_seeds
	@rm -rf $(@D) && mkdir -p $(@D)
	$< $(@D) && touch $@

# test_fuzz_rx runs the target for a bounded time inside `make check`.
tests: $(FUZZ_TARGETS) $(FUZZ_SEEDS)

.PHONY: fuzz
fuzz: $(FUZZ_TARGETS) $(FUZZ_SEEDS)
	@mkdir -p $(B)/fuzz/corpus-rx $(B)/fuzz/artifacts
	$(B)/fuzz/fuzz_rx -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(B)/fuzz/artifacts/ $(B)/fuzz/corpus-rx \
		$(B)/fuzz/seeds-rx

# The host tests share frame builders and a test rig.
$(HOST_TESTS): user/tests/frames.h

# The TCP engine's target: segments, clock steps and application calls on
# a listener and two established connections (user/fuzz/fuzz_tcp.h).
FUZZ_TCP_HDRS := user/fuzz/fuzz_tcp.h
FUZZ_TCP_SEEDS := $(B)/fuzz/seeds-tcp/.stamp

$(B)/fuzz/fuzz_tcp: user/fuzz/fuzz_tcp.c $(LIB_SRCS) $(LIB_HDRS) $(FUZZ_TCP_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRCS)

$(B)/fuzz/fuzz_tcp_seeds: user/fuzz/fuzz_tcp_seeds.c $(FUZZ_TCP_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -o $@ $<

$(FUZZ_TCP_SEEDS): $(B)/fuzz/fuzz_tcp_seeds
	@rm -rf $(@D) && mkdir -p $(@D)
	$< $(@D) && touch $@

tests: $(B)/fuzz/fuzz_tcp $(FUZZ_TCP_SEEDS)

.PHONY: fuzz-tcp
fuzz-tcp: $(B)/fuzz/fuzz_tcp $(FUZZ_TCP_SEEDS)
	@mkdir -p $(B)/fuzz/corpus-tcp $(B)/fuzz/artifacts
	$(B)/fuzz/fuzz_tcp -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		-artifact_prefix=$(B)/fuzz/artifacts/ $(B)/fuzz/corpus-tcp \
		$(B)/fuzz/seeds-tcp

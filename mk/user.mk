# libbypass build rules beyond the top Makefile's: the libFuzzer target for
# the receive path (clang, ASan + UBSan), built with the host tests, and
# `make fuzz` to run it for longer (FUZZ_SECONDS, default 600).

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Iuapi -Iuser/include -Iuser/lib -Iuser/tests \
	-isystem $(B)/linux/include

FUZZ_TARGETS := $(B)/fuzz/fuzz_rx

$(B)/fuzz/%: user/fuzz/%.c $(LIB_SRCS) $(LIB_HDRS) user/tests/frames.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRCS)

# test_fuzz_rx runs the target for a bounded time inside `make check`.
tests: $(FUZZ_TARGETS)

.PHONY: fuzz
fuzz: $(FUZZ_TARGETS)
	@mkdir -p $(B)/fuzz/corpus-rx $(B)/fuzz/artifacts
	$(B)/fuzz/fuzz_rx -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(B)/fuzz/artifacts/ $(B)/fuzz/corpus-rx

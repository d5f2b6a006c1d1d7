# ThreadSanitizer builds of the host tests whose contexts run on threads of
# their own (a group: one context per thread, sharing its flow directory,
# mailboxes and neighbours): libbypass and the test built with
# -fsanitize=thread into build/tests/, so `make check` runs them with the
# other host tests (a reported race fails the run: halt_on_error).

# The rings' seq_cst fences (store-then-load between driver and device)
# are not modelled by TSan, which warns about them: the indices they order
# are atomics themselves, so no access goes unseen.
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
TSAN_OBJS := $(LIB_SRCS:user/lib/%.c=$(B)/lib-tsan/%.o)
TSAN_TESTS := $(B)/tests/test_group_tsan

$(B)/lib-tsan/%.o: user/lib/%.c $(LIB_HDRS) | $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O1 $(TSAN_FLAGS) $(LIB_INC) -c -o $@ $<

$(B)/libbypass-tsan.a: $(TSAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/tests/%_tsan: user/tests/%.c $(B)/libbypass-tsan.a $(LIB_HDRS) | $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O1 $(TSAN_FLAGS) -DTEST_TSAN $(LIB_INC) -o $@ $< \
		$(B)/libbypass-tsan.a

tests: $(TSAN_TESTS)

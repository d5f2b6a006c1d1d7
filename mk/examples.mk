# The example applications in user/examples/, built with everything else
# into build/examples/ against the static libbypass.
EXAMPLE_SRCS := $(sort $(wildcard user/examples/*.c))
EXAMPLES := $(EXAMPLE_SRCS:user/examples/%.c=$(B)/examples/%)

$(B)/examples/%: user/examples/%.c user/examples/netops.h $(B)/libbypass.a $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -o $@ $< $(B)/libbypass.a

.PHONY: examples
examples: $(EXAMPLES)
user: examples

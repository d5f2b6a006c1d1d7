# libbypass-preload.so (user/preload/): the LD_PRELOAD shim that runs an
# unmodified program's AF_INET sockets on bypass, with libbypass linked in
# and hidden (only the interposed calls are exported); bypass-run is built
# by the tools rule. preload_app is a plain-sockets program (no libbypass,
# no sanitizer: the shim must load into it) that test_preload runs under
# the shim.
PRELOAD_SRCS := $(sort $(wildcard user/preload/*.c))
PRELOAD_OBJS := $(PRELOAD_SRCS:user/preload/%.c=$(B)/preload/%.o)
PRELOAD_SO := $(B)/lib/libbypass-preload.so
PRELOAD_APP := $(B)/preload/preload_app

$(B)/preload/%.o: user/preload/%.c user/preload/preload.h $(LIB_HDRS) | $(HARNESS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -fvisibility=hidden -c -o $@ $<

$(PRELOAD_SO): $(PRELOAD_OBJS) $(B)/libbypass.a
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libbypass-preload.so -Wl,--exclude-libs,ALL \
		-Wl,-z,defs -o $@ $(PRELOAD_OBJS) $(B)/libbypass.a -ldl -lpthread

$(PRELOAD_APP): user/preload/tests/preload_app.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O2 -o $@ $< -lpthread

user: $(PRELOAD_SO)
# The same built for large files, as most Debian daemons are: its fcntl
# calls reach the shim as fcntl64.
$(PRELOAD_APP)-lfs: user/preload/tests/preload_app.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Wall -Wextra -Werror -g -O2 \
		-o $@ $< -lpthread

tests: $(PRELOAD_APP) $(PRELOAD_APP)-lfs
$(B)/tests/test_preload: $(PRELOAD_SO) $(PRELOAD_APP) $(PRELOAD_APP)-lfs user/preload/preload.h

# A statically linked build of it: bypass-run must refuse it in one line.
$(PRELOAD_APP)-static: user/preload/tests/preload_app.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -static -o $@ $< -lpthread

tests: $(PRELOAD_APP)-static
$(B)/tests/test_preload: $(PRELOAD_APP)-static $(B)/bin/bypass-run

# bypassctl: its helpers in user/tools/bypassctl/ and libmnl. This explicit
# rule takes precedence over the generic $(B)/bin/% pattern rule.
BYPASSCTL_SRCS := user/tools/bypassctl.c $(sort $(wildcard user/tools/bypassctl/*.c))
BYPASSCTL_HDRS := $(wildcard user/tools/bypassctl/*.h) uapi/linux/bypass_genl.h
BYPASSCTL_CFLAGS = $(shell pkg-config --cflags libmnl 2>/dev/null)
BYPASSCTL_LIBS = $(or $(shell pkg-config --libs libmnl 2>/dev/null),-lmnl)

$(B)/bin/bypassctl: $(BYPASSCTL_SRCS) $(BYPASSCTL_HDRS) $(B)/libbypass.a $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(BYPASSCTL_CFLAGS) -Iuser/tools -o $@ \
		$(BYPASSCTL_SRCS) $(B)/libbypass.a $(BYPASSCTL_LIBS)

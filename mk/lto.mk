# Link-time optimisation of libbypass's datapath (device, net and tcp
# layers): their objects carry GCC's intermediate code beside the machine
# code (fat objects), so that the programs linked with libbypass.a and
# libbypass.so itself inline and prune across the layers' files, which
# call each other per packet; a link without the LTO plugin gets the
# ordinary machine code. The api layer is left out: under LTO, GCC
# reports maybe-uninitialized results in api_socket.c that -Werror turns
# into link errors.
LTO_OBJS := $(filter-out $(B)/lib/api/%,$(LIB_OBJS))
$(LTO_OBJS): CFLAGS += -flto=auto -ffat-lto-objects
$(B)/libbypass.so: CC += -flto=auto -O2

# TCP engine tests: headers that host tests include besides the library's
# (the packet-script runner, its list of scripts, the fake clock).
$(B)/tests/test_tcp_scripts: user/tests/tcp_script.h user/tests/tcp_scripts/list.h
$(B)/tests/test_tcp_cubic $(B)/tests/test_tcp_reass $(B)/tests/test_tcp_seq: user/tests/tcp_fake.h

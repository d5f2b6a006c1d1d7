# TCP engine tests: the packet-script runner and its list of scripts are
# headers of one host test; the loopback test shares the two-engine rig.
$(B)/tests/test_tcp_scripts: user/tests/tcp_script.h user/tests/tcp_scripts/list.h
$(B)/tests/test_tcp_cubic $(B)/tests/test_tcp_reass $(B)/tests/test_tcp_seq: user/tests/tcp_fake.h

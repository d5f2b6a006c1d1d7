/* SPDX-License-Identifier: GPL-2.0 */
/* The packet scripts test_tcp_scripts runs, one test case each. */
SCRIPT(listen_handshake)

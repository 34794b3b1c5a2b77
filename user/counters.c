// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * One entry per enum sg_stat value. The static assertion and
 * tests/unit/test_counters.c keep the table and the enum from drifting apart.
 */
#include "counters.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const struct sg_counter_desc sg_counters[] = {
	[SG_V_PASS_NOT_IP] = { "pass_not_ip", "neither IPv4 nor IPv6" },
	[SG_V_PASS_NOT_TCP] = { "pass_not_tcp", "IP but not TCP" },
	[SG_V_PASS_PORT] = { "pass_port", "TCP to an unprotected port" },
	[SG_V_PASS_FRAGMENT] = { "pass_fragment",
				 "IPv4 fragment, left to the kernel" },
	[SG_V_PASS_IPV6_EXT] = { "pass_ipv6_ext",
				 "IPv6 extension header, left to the kernel" },
	[SG_V_PASS_VLAN_DEPTH] = { "pass_vlan_depth",
				   "more than two VLAN tags" },
	[SG_V_PASS_FLAGS] = { "pass_flags",
			      "RST, FIN, SYN-ACK or no flags: the kernel's" },
	[SG_V_PASS_NO_KEY] = { "pass_no_key",
			       "no cookie key installed: failed open" },
	[SG_V_PASS_COOKIE_OK] = { "pass_cookie_ok",
				  "ACK with a valid cookie, passed for hand-off" },
	[SG_V_PASS_ESTABLISHED] = { "pass_established",
				    "ACK owned by an existing socket" },
	[SG_V_PASS_TIMEWAIT] = { "pass_timewait",
				 "SYN reusing a TIME_WAIT 4-tuple, left to the kernel" },
	[SG_V_PASS_NO_LISTENER] = { "pass_no_listener",
				    "kernel engine: no listener for the SYN" },
	[SG_V_PASS_GEN_COOKIE] = { "pass_gen_cookie",
				   "kernel engine: kernel declined to mint a cookie" },
	[SG_V_PASS_ALLOW] = { "pass_allow",
			      "source in the allowlist, left to the kernel" },
	[SG_V_TX_SYNACK] = { "tx_synack",
			     "SYN answered with a cookie SYN-ACK" },
	[SG_V_DROP_COOKIE_BAD] = { "drop_cookie_bad",
				   "ACK whose cookie does not verify" },
	[SG_V_DROP_MALFORMED_L2] = { "drop_malformed_l2",
				     "truncated Ethernet or VLAN header" },
	[SG_V_DROP_MALFORMED_IP] = { "drop_malformed_ip",
				     "truncated or invalid IP header" },
	[SG_V_DROP_MALFORMED_TCP] = { "drop_malformed_tcp",
				      "truncated or invalid TCP header" },
	[SG_V_DROP_BAD_OPTION] = { "drop_bad_option",
				   "TCP option with a bad length" },
	[SG_V_DROP_BAD_FLAGS] = { "drop_bad_flags", "SYN with RST or FIN" },
	[SG_V_DROP_ADJUST] = { "drop_adjust",
			       "frame could not be resized for the reply" },
	[SG_V_DROP_NO_CONFIG] = { "drop_no_config", "config map empty" },
	[SG_V_DROP_DENY] = { "drop_deny", "source in the denylist" },
	[SG_V_DROP_RATELIMIT] = { "drop_ratelimit",
				  "SYN over the per-prefix SYN-ACK rate" },
	[SG_E_SYN_PAYLOAD] = { "syn_payload",
			       "SYN carried data (Fast Open), data dropped" },
	[SG_E_COOKIE_PREV_EPOCH] = { "cookie_prev_epoch",
				     "valid cookie from the previous or next epoch" },
	[SG_E_HANDOFF_OK] = { "handoff_ok",
			      "connection handed to the kernel (TC)" },
	[SG_E_HANDOFF_NO_LISTENER] = { "handoff_no_listener",
				       "hand-off failed: no listening socket" },
	[SG_E_HANDOFF_ERROR] = { "handoff_error",
				 "hand-off failed: kernel refused the request" },
	[SG_E_HANDOFF_PARSE] = { "handoff_parse",
				 "hand-off failed: packet not parseable at TC" },
	[SG_E_SYN_RX] = { "syn_rx", "SYN to a protected port" },
	[SG_V_PASS_NOT_LOCAL] = { "pass_not_local",
				  "SYN not for a local unicast address, or from "
				  "an impossible source" },
	[SG_V_PASS_MPTCP] = { "pass_mptcp",
			      "port of an MPTCP listener, left to the kernel" },
	[SG_V_PASS_TCP_AUTH] = { "pass_tcp_auth",
				 "TCP-MD5 or TCP-AO segment, left to the kernel" },
	[SG_V_PASS_NOT_ENGAGED] = { "pass_not_engaged",
				    "--engage auto, no attack: SYN left to the "
				    "kernel" },
	[SG_V_PASS_KERNEL_COOKIE] = { "pass_kernel_cookie",
				      "ACK carrying the kernel's own SYN cookie" },
	[SG_V_PASS_NAT] = { "pass_nat",
			    "own engine with conntrack NAT in the namespace: "
			    "SYN left to the kernel" },
	[SG_V_DROP_COOKIE_LIMITED] = { "drop_cookie_limited",
				       "ACK from a source over its bad-cookie "
				       "budget, not checked" },
	[SG_E_META_FAILED] = { "meta_failed",
			       "no XDP metadata possible: TC verified instead" },
	[SG_E_MONITOR_PASSED] = { "monitor_passed",
				  "--engage monitor passed what it would have "
				  "answered or dropped" },
	[SG_E_GUARD_BYPASS] = { "guard_bypass",
				"SYN of a known source answered past its "
				"prefix's exhausted guard" },
	[SG_E_HANDOFF_DUP] = { "handoff_dup",
			       "TC: 4-tuple handed off already, left alone" },
	[SG_E_HANDOFF_DEFERRED] = { "handoff_deferred",
				    "TC: still VLAN-tagged, left to the VLAN "
				    "device above" },
	[SG_E_TC_VERIFIED] = { "tc_verified",
			       "TC checked a cookie itself (no metadata)" },
	[SG_V_DROP_FOLLOWUP] = { "drop_followup",
				 "segment after a handshake's completing one, "
				 "before the kernel made its socket (not "
				 "charged; the client sends it again)" },
};

/* Designated initialisers: a missing name leaves a NULL hole, which
 * tests/unit/test_counters.c catches; a missing last entry, this catches. */
_Static_assert(ARRAY_SIZE(sg_counters) == SG_STAT_MAX,
	       "every enum sg_stat value needs a name in user/counters.c");

/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * Loading the BPF object, attaching XDP (libxdp) and TC (libbpf), pinning
 * maps, and removing all of it again, also after a crash.
 */
#ifndef SG_LOADER_H
#define SG_LOADER_H

#include <limits.h>
#include <net/if.h>
#include <xdp/libxdp.h>

#include "common.h"

#define SG_PIN_ROOT_DEFAULT "/sys/fs/bpf/synguard"
#define SG_PIN_ROOT_ENV "SYNGUARD_PIN_ROOT"
#define SG_TC_HANDLE 0x5347 /* "SG" */
#define SG_TC_PRIO 0x5347

struct synguard_bpf;

#define SG_UPPERS_MAX 32 /* VLAN devices above one interface */

/* A VLAN device above the XDP one, carrying the TC hand-off too. */
struct sg_upper {
	char name[IF_NAMESIZE];
	int ifindex;
	int hook_created;
};

struct sg_loader {
	char ifname[IF_NAMESIZE];
	int ifindex;
	enum sg_engine engine;
	enum xdp_attach_mode mode; /* what we got */
	enum sg_libxdp libxdp;	   /* through the dispatcher or not, why */
	int attempts;		   /* objects loaded so far */
	char pin_dir[PATH_MAX];	   /* <pin root>/<ifname> */
	char pin_root[PATH_MAX];
	int pin_dir_created; /* by this run: remove it if start fails */
	struct synguard_bpf *skel;
	struct xdp_program *xdp;
	int xdp_attached;
	int tc_attached;
	int tc_hook_created; /* we created the clsact qdisc */
	struct sg_upper uppers[SG_UPPERS_MAX];
	int nuppers;
	int failed[SG_UPPERS_MAX]; /* ifindexes refused: warned once */
	int nfailed;
};

/* The pin root: --pin-root, else $SYNGUARD_PIN_ROOT, else the default. */
const char *sg_pin_root(const char *opt);

/*
 * Check that the pin root lives on a BPF filesystem; 0 or -errno with the
 * reason and what to do printed.
 */
int sg_check_bpffs(const char *root);

/* Point libxdp at our bpffs when /sys/fs/bpf is none ($LIBXDP_BPFFS). */
void sg_libxdp_bpffs(const char *root);

/* Is bpf_sk_assign_tcp_reqsk() in the running kernel? */
int sg_have_reqsk_kfunc(void);

/*
 * The first BPF helper the XDP program calls that this kernel's verifier
 * does not know (its name and the Linux release that added it), or NULL:
 * all there, or not probed (probing loads programs: CAP_BPF).
 */
const char *sg_missing_helper(void);

/* Open the skeleton for @engine with maps pinned under pin_dir. */
int sg_loader_open(struct sg_loader *l, const char *pin_root,
		   const char *ifname, enum sg_engine engine);
/* Load and attach: XDP in @mode (UNSPEC: native, else generic), TC. */
int sg_loader_attach(struct sg_loader *l, enum xdp_attach_mode mode);
/*
 * Put the TC hand-off on the VLAN devices stacked on the interface (own
 * engine): with two tags (QinQ) only the device above can hand off.
 * Attaches to new ones, forgets vanished ones; the number carrying it.
 */
int sg_loader_sync_uppers(struct sg_loader *l);

/* Our TC ingress filter on @ifindex (creating clsact when missing), and
 * its removal (the qdisc too if we created it and nothing else is on it). */
int sg_tc_attach_dev(int ifindex, int prog_fd, int *hook_created);
int sg_tc_detach_dev(int ifindex, int hook_created);

/* Detach what sg_loader_attach attached and free everything. */
void sg_loader_close(struct sg_loader *l);

/*
 * Remove whatever synguard left on @ifname: our XDP program, our TC filter
 * and the pins. For crash recovery; safe when nothing is there.
 */
int sg_detach_iface(const char *pin_root, const char *ifname);

/* Remove the pins of @ifname and its pin directory. */
int sg_unpin(const char *pin_root, const char *ifname);

const char *sg_mode_name(enum xdp_attach_mode mode);
/* How the program is attached (enum sg_libxdp), for logs and status. */
const char *sg_libxdp_name(__u32 how);

#endif /* SG_LOADER_H */

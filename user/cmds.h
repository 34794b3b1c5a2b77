/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* The command entry points, one per file or group of files. */
#ifndef SG_CMDS_H
#define SG_CMDS_H

int cmd_run(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_allow(int argc, char **argv);
int cmd_deny(int argc, char **argv);
int cmd_ports(int argc, char **argv);
int cmd_keys(int argc, char **argv);

#endif /* SG_CMDS_H */

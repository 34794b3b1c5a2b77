// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * bpfload OBJ ENGINE: load synguard's BPF object as `synguard run` would,
 * without attaching anything, and report what the verifier says.
 *
 * ENGINE is own or kernel: the value of the .rodata constant sg_engine
 * (found through the object's BTF, so no skeleton of this particular
 * object is needed). Like the loader (user/loader.c), the kernel engine
 * does not load the TC program. own-xdp: the own engine's XDP program
 * alone (what the fixture suite runs, also where the kfunc is missing).
 * Maps are not pinned.
 *
 * Output, one line per program, then exit 0 (all loaded) or 1; exit 3
 * with a "skip: why" line when the own engine's kfunc is missing (as
 * `synguard run` refuses that engine there):
 *   prog synguard_xdp insns 12345 ok
 *   prog synguard_tc insns 678 ok
 *   prog synguard_xdp insns -1 failed: <errno>
 *   reason: <the last lines of the verifier log, from a second load at
 *           log level 1>
 * The instruction count is the verifier's "processed N insns" (log level
 * BPF_LOG_STATS), cross-checked with bpf_prog_info.verified_insns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (4u << 20)
#define SG_LOG_STATS 4 /* BPF_LOG_STATS */

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

/* Set the .rodata variable @name (4 bytes) to @val before load. */
static int set_rodata_u32(struct bpf_object *obj, const char *name,
			  unsigned int val)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *map;
	const void *init;
	size_t size;
	char *data;
	int id, i, err;

	if (!btf)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return id;
	sec = btf__type_by_id(btf, id);
	map = NULL;
	bpf_object__for_each_map(
		map, obj) if (strstr(bpf_map__name(map), ".rodata")) break;
	if (!map)
		return -ENOENT;
	init = bpf_map__initial_value(map, &size);
	if (!init || !(data = malloc(size)))
		return -ENOENT;
	memcpy(data, init, size);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, v->name_off), name))
			continue;
		if (vs->size != sizeof(val) || vs->offset + vs->size > size) {
			free(data);
			return -EINVAL;
		}
		memcpy(data + vs->offset, &val, sizeof(val));
		err = bpf_map__set_initial_value(map, data, size);
		free(data);
		return err;
	}
	free(data);
	return -ENOENT;
}

/* Whether the running kernel's BTF has the function @name. */
static int have_kfunc(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id;

	if (!btf)
		return 0;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	btf__free(btf);
	return id > 0;
}

/* The N of the last "processed N insns" in @log, or -1. */
static long processed(const char *log)
{
	const char *p = log, *q;
	long n = -1;

	while ((q = strstr(p, "processed "))) {
		char *end;
		long v = strtol(q + 10, &end, 10);

		if (end != q + 10 && !strncmp(end, " insns", 6))
			n = v;
		p = q + 10;
	}
	return n;
}

/*
 * Open @path, set sg_engine, load with verifier log @level into buffers of
 * @log_size. With @report, print one line per program (the failure
 * reason from @why when the caller has it). 0 when everything loaded.
 */
static int load(const char *path, unsigned int engine, int with_tc, __u32 level,
		size_t log_size, int report, char **why)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	char **logs;
	int err, i, n = 0, failed = 0;

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	err = set_rodata_u32(obj, "sg_engine", engine);
	if (err) {
		fprintf(stderr, "cannot set sg_engine in %s: %s\n", path,
			strerror(-err));
		bpf_object__close(obj);
		return -1;
	}
	bpf_object__for_each_program(prog, obj) n++;
	logs = calloc(n, sizeof(*logs));
	if (!logs)
		return -1;
	i = 0;
	bpf_object__for_each_program(prog, obj)
	{
		if (!with_tc && !strcmp(bpf_program__name(prog), "synguard_tc"))
			bpf_program__set_autoload(prog, false);
		logs[i] = calloc(1, log_size);
		if (!logs[i])
			return -1;
		bpf_program__set_log_buf(prog, logs[i], log_size);
		bpf_program__set_log_level(prog, level);
		i++;
	}
	err = bpf_object__load(obj);

	i = 0;
	bpf_object__for_each_program(prog, obj)
	{
		const char *name = bpf_program__name(prog);
		char *log = logs[i++];
		long insns = processed(log);
		size_t l;

		if (!bpf_program__autoload(prog))
			continue;
		if (!err && bpf_program__fd(prog) >= 0) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);

			if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog),
						    &info, &len) &&
			    insns >= 0 && info.verified_insns &&
			    info.verified_insns != insns)
				fprintf(stderr,
					"%s: log says %ld insns, prog info "
					"%u\n",
					name, insns, info.verified_insns);
			if (insns < 0 &&
			    !bpf_obj_get_info_by_fd(bpf_program__fd(prog),
						    &info, &len))
				insns = info.verified_insns;
			if (report)
				printf("prog %s insns %ld ok\n", name, insns);
			continue;
		}
		failed = 1;
		l = strlen(log);
		if (getenv("BPFLOAD_LOGDIR")) {
			/* The whole verifier log, for a human. */
			char path[512];
			FILE *f;

			snprintf(path, sizeof(path), "%s/%s.log",
				 getenv("BPFLOAD_LOGDIR"), name);
			f = fopen(path, "w");
			if (f) {
				fputs(log, f);
				fclose(f);
			}
		}
		if (why && l && !*why) {
			/* The tail of the log says why. */
			*why = strdup(l > 2000 ? log + l - 2000 : log);
		}
		if (report)
			printf("prog %s insns %ld failed: %s\n", name, insns,
			       why && *why ? *why : strerror(-err));
	}
	bpf_object__close(obj);
	for (i = 0; i < n; i++)
		free(logs[i]);
	free(logs);
	return failed || err ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned int engine;
	char *why = NULL;
	int err, with_tc;

	if (argc != 3 || (strcmp(argv[2], "own") && strcmp(argv[2], "kernel") &&
			  strcmp(argv[2], "own-xdp"))) {
		fprintf(stderr, "usage: %s OBJ own|own-xdp|kernel\n", argv[0]);
		return 2;
	}
	engine = !strcmp(argv[2], "kernel"); /* SG_ENGINE_KERNEL = 1 */
	with_tc = !strcmp(argv[2], "own");
	libbpf_set_print(quiet);
	if (with_tc && !have_kfunc("bpf_sk_assign_tcp_reqsk")) {
		printf("skip: the own engine needs bpf_sk_assign_tcp_reqsk "
		       "(Linux 6.9 or later)\n");
		return 3;
	}

	err = load(argv[1], engine, with_tc, SG_LOG_STATS, LOG_SIZE, 1, NULL);
	if (err > 0) {
		/* The stats log holds no reason: again with the full log. */
		load(argv[1], engine, with_tc, 1, 64u << 20, 0, &why);
		printf("reason: %s\n", why ? why : "(no verifier log)");
	}
	free(why);
	return err ? 1 : 0;
}

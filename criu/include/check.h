/*
 * `criu check`: probe the running kernel for what checkpoint/restore needs.
 *
 * Every probe exercises the feature itself (a syscall, an ioctl, a /proc
 * file, a forked child that is traced, moved or namespaced) and never
 * reasons from the kernel version.  Probes come in three scopes:
 *
 *   CHECK_REQUIRED      what every dump and restore needs; plain `criu check`
 *   CHECK_EXTRA         needed only for some kinds of state (--extra)
 *   CHECK_EXPERIMENTAL  features criu does not rely on yet (--experimental)
 *
 * Probes leave nothing behind: every child they fork is reaped (killed after
 * a timeout if it hangs), every descriptor, mapping, mount, cgroup or
 * temporary file they create is gone when they return.
 */
#ifndef CRIU_CHECK_H
#define CRIU_CHECK_H

enum check_scope {
	CHECK_REQUIRED = 1,
	CHECK_EXTRA = 2,
	CHECK_EXPERIMENTAL = 4,
};

/*
 * Run the probes of @scope (a mask of enum check_scope), or, when @feature
 * is not NULL, the one probe of that name whatever its scope; "list" prints
 * the probe names instead.
 *
 * Results go to stdout with pr_msg ("Looks good." and the like, or
 * "NAME is supported"), what is missing is logged with pr_err (required)
 * or pr_warn (optional), details of each probe at pr_info/pr_debug.
 *
 * Returns 0 when everything probed is there; otherwise a negative errno
 * value: the error of the first failed required probe, else of the first
 * failed optional one; -ENOENT for an unknown feature name (after an error
 * naming it).
 */
int cr_check(unsigned int scope, const char *feature);

/* Print the probe names, one a line with scope and description (= "list"). */
void check_print_features(void);

/*
 * The name of probe @i (0, 1, ...) and its scope in *@scope (may be NULL);
 * NULL past the last one.  For --help texts and tests.
 */
const char *check_probe_name(unsigned int i, unsigned int *scope);

#endif /* CRIU_CHECK_H */

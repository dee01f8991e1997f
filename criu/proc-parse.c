/*
 * /proc/PID readers for dump: stat, status, smaps (every VMA with its
 * VmFlags), auxv and small one-value files.
 *
 * The text parsers never log: they return -EINVAL for text they cannot
 * read, and the proc_read_* wrappers say which file of which pid it was.
 * A pid that vanished shows as -ESRCH (open of /proc/PID/... gives ENOENT).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/mman.h>

#define LOG_PREFIX "proc: "
#include "log.h"
#include "proc-parse.h"

int proc_read_file(pid_t pid, const char *name, char **text, size_t *len)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t size = 4096, n = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int r = errno == ENOENT ? -ESRCH : -errno;

		return pr_err_ret(r, "can't open %s", path);
	}
	buf = xmalloc(size);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t r = read(fd, buf + n, size - n - 1);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return pr_err_ret(errno == ESRCH ? -ESRCH : -errno, "can't read %s", path);
		}
		if (r == 0)
			break;
		n += r;
		if (n + 1 == size) {
			char *nb = xrealloc(buf, size * 2);

			if (!nb)
				return -ENOMEM;
			buf = nb;
			size *= 2;
		}
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*text = TAKE_PTR(buf);
	return 0;
}

int proc_read_ulong(pid_t pid, const char *name, int base, unsigned long *val)
{
	_cleanup_free_ char *t = NULL;
	char *end;
	int r;

	r = proc_read_file(pid, name, &t, NULL);
	if (r)
		return r;
	errno = 0;
	*val = strtoul(t, &end, base);
	if (errno || end == t) {
		pr_err("can't read a number from /proc/%d/%s: \"%.32s\"\n", (int)pid, name, t);
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------ stat */

int proc_parse_stat(const char *text, struct proc_stat *st)
{
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	unsigned long f[53] = { 0 };
	const char *p;
	size_t clen;
	int i;

	if (!open || !close || close < open || close[1] != ' ' || !close[2])
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	clen = min((size_t)(close - open - 1), sizeof(st->comm) - 1);
	memcpy(st->comm, open + 1, clen);
	st->state = close[2];
	/* Fields from 4 on are numbers; 3 is the state letter. */
	p = close + 3;
	for (i = 4; i <= 52; i++) {
		char *end;

		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		f[i] = strtoul(p, &end, 10);
		if (*p == '-') /* nice, priority: signed */
			f[i] = (unsigned long)strtol(p, &end, 10);
		if (end == p)
			return -EINVAL;
		p = end;
	}
	if (i <= 44)
		return -EINVAL; /* too short to be a stat line of a live task */
	st->ppid = f[4];
	st->pgid = f[5];
	st->sid = f[6];
	st->tty_nr = (int)f[7];
	st->flags = f[9];
	st->nice = (long)f[19];
	st->num_threads = (long)f[20];
	st->start_code = f[26];
	st->end_code = f[27];
	st->start_stack = f[28];
	st->start_data = f[45];
	st->end_data = f[46];
	st->start_brk = f[47];
	st->arg_start = f[48];
	st->arg_end = f[49];
	st->env_start = f[50];
	st->env_end = f[51];
	st->exit_code = (int)f[52];
	return 0;
}

int proc_read_stat(pid_t pid, struct proc_stat *st)
{
	_cleanup_free_ char *t = NULL;
	int r = proc_read_file(pid, "stat", &t, NULL);

	if (r)
		return r;
	if (proc_parse_stat(t, st)) {
		pr_err("can't parse /proc/%d/stat\n", (int)pid);
		return -EINVAL;
	}
	return 0;
}

bool proc_pid_dead(pid_t pid, struct proc_stat *st)
{
	struct proc_stat tmp;
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	if (!st)
		st = &tmp;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	if (proc_parse_stat(buf, st))
		return false; /* there, but unreadable: not known dead */
	return st->state == 'Z' || st->state == 'X';
}

/* ------------------------------------------------------------ status */

static int parse_ids(const char *v, unsigned int id[4])
{
	return sscanf(v, "%u %u %u %u", &id[0], &id[1], &id[2], &id[3]) == 4 ? 0 : -EINVAL;
}

static int parse_groups(const char *v, struct proc_status *st)
{
	while (*v && *v != '\n') {
		char *end;
		unsigned long g;

		while (*v == ' ' || *v == '\t')
			v++;
		if (!*v || *v == '\n')
			break;
		g = strtoul(v, &end, 10);
		if (end == v)
			return -EINVAL;
		unsigned int *ng = realloc(st->groups, (st->nr_groups + 1) * sizeof(*ng));
		if (!ng)
			return -ENOMEM;
		st->groups = ng;
		st->groups[st->nr_groups++] = g;
		v = end;
	}
	return 0;
}

int proc_parse_status(const char *text, struct proc_status *st)
{
	const char *line = text;

	memset(st, 0, sizeof(*st));
	st->no_new_privs = -1;
	st->thp_enabled = -1;
	st->nspid_levels = 1;
	while (line && *line) {
		const char *colon = strchr(line, ':'), *nl = strchr(line, '\n');
		const char *v;
		size_t klen;
		int r = 0;

		if (!colon || (nl && colon > nl))
			goto next;
		klen = colon - line;
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
#define KEY(k) (klen == sizeof(k) - 1 && !memcmp(line, k, klen))
		if (KEY("Tgid"))
			st->tgid = atoi(v);
		else if (KEY("PPid"))
			st->ppid = atoi(v);
		else if (KEY("Uid"))
			r = parse_ids(v, st->uid);
		else if (KEY("Gid"))
			r = parse_ids(v, st->gid);
		else if (KEY("Groups"))
			r = parse_groups(v, st);
		else if (KEY("CapInh"))
			st->cap_inh = strtoull(v, NULL, 16);
		else if (KEY("CapPrm"))
			st->cap_prm = strtoull(v, NULL, 16);
		else if (KEY("CapEff"))
			st->cap_eff = strtoull(v, NULL, 16);
		else if (KEY("CapBnd"))
			st->cap_bnd = strtoull(v, NULL, 16);
		else if (KEY("CapAmb"))
			st->cap_amb = strtoull(v, NULL, 16);
		else if (KEY("Seccomp"))
			st->seccomp = atoi(v);
		else if (KEY("NoNewPrivs"))
			st->no_new_privs = atoi(v);
		else if (KEY("Threads"))
			st->threads = atoi(v);
		else if (KEY("THP_enabled"))
			st->thp_enabled = atoi(v);
		else if (KEY("Kthread"))
			st->kthread = atoi(v) != 0;
		else if (KEY("NSpid")) {
			int n = 0;
			const char *p = v;

			while (*p && *p != '\n') {
				while (*p == ' ' || *p == '\t')
					p++;
				if (!*p || *p == '\n')
					break;
				n++;
				while (*p && *p != ' ' && *p != '\t' && *p != '\n')
					p++;
			}
			st->nspid_levels = n;
		}
#undef KEY
		if (r) {
			proc_status_free(st);
			return r;
		}
next:
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

int proc_read_status(pid_t pid, struct proc_status *st)
{
	_cleanup_free_ char *t = NULL;
	int r = proc_read_file(pid, "status", &t, NULL);

	if (r)
		return r;
	r = proc_parse_status(t, st);
	if (r)
		pr_err("can't parse /proc/%d/status\n", (int)pid);
	return r;
}

void proc_status_free(struct proc_status *st)
{
	free(st->groups);
	st->groups = NULL;
	st->nr_groups = 0;
}

/* ------------------------------------------------------------ smaps */

static const struct {
	char code[3];
	unsigned int bit;
} vmflag_codes[] = {
	{ "gd", VMF_GROWSDOWN },  { "lo", VMF_LOCKED },	    { "io", VMF_IO },	     { "pf", VMF_PFNMAP },
	{ "hg", VMF_HUGEPAGE },	  { "nh", VMF_NOHUGE },	    { "dd", VMF_DONTDUMP },  { "dc", VMF_DONTFORK },
	{ "wf", VMF_WIPEONFORK }, { "sr", VMF_SEQ_READ },   { "rr", VMF_RAND_READ }, { "mg", VMF_MERGEABLE },
	{ "ss", VMF_SHSTK },	  { "de", VMF_DONTEXPAND }, { "sh", VMF_SHARED },    { "lf", VMF_LOCKONFAULT },
	{ "um", VMF_UFFD },	  { "uw", VMF_UFFD },	    { "sl", VMF_SEALED },    { "mw", VMF_MAYWRITE },
	{ "ht", VMF_HUGETLB },
};

static unsigned int parse_vmflags(const char *v)
{
	unsigned int bits = 0;

	while (*v && *v != '\n') {
		while (*v == ' ')
			v++;
		if (!v[0] || v[0] == '\n' || !v[1])
			break;
		for (size_t i = 0; i < ARRAY_SIZE(vmflag_codes); i++)
			if (v[0] == vmflag_codes[i].code[0] && v[1] == vmflag_codes[i].code[1])
				bits |= vmflag_codes[i].bit;
		v += 2;
	}
	return bits;
}

static enum vma_kind kind_of(const char *name)
{
	static const struct {
		const char *name;
		enum vma_kind kind;
	} special[] = {
		{ "[heap]", VMA_K_HEAP },
		{ "[stack]", VMA_K_STACK },
		{ "[vdso]", VMA_K_VDSO },
		{ "[vvar]", VMA_K_VVAR },
		{ "[vvar_vclock]", VMA_K_VVAR_VCLOCK },
		{ "[vsyscall]", VMA_K_VSYSCALL },
	};

	if (!name || !*name)
		return VMA_K_ANON;
	if (name[0] == '/')
		return VMA_K_FILE;
	for (size_t i = 0; i < ARRAY_SIZE(special); i++)
		if (!strcmp(name, special[i].name))
			return special[i].kind;
	if (!strncmp(name, "[anon:", 6))
		return VMA_K_ANON; /* prctl(PR_SET_VMA_ANON_NAME): still anonymous memory */
	return VMA_K_OTHER;
}

/* "start-end perms offset maj:min inode   name" */
static int parse_vma_header(const char *line, const char *nl, struct proc_vma *v)
{
	char perms[5];
	int pos = 0;
	unsigned long long start, end, off;

	memset(v, 0, sizeof(*v));
	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %lu%n", &start, &end, perms, &off, &v->dev_major, &v->dev_minor,
		   &v->ino, &pos) != 7)
		return -EINVAL;
	v->start = start;
	v->end = end;
	v->pgoff = off;
	if (perms[0] == 'r')
		v->prot |= PROT_READ;
	if (perms[1] == 'w')
		v->prot |= PROT_WRITE;
	if (perms[2] == 'x')
		v->prot |= PROT_EXEC;
	v->shared = perms[3] == 's';

	const char *n = line + pos;
	while (n < nl && (*n == ' ' || *n == '\t'))
		n++;
	if (n < nl) {
		size_t len = nl - n;
		static const char del[] = " (deleted)";

		if (len > sizeof(del) - 1 && !memcmp(n + len - (sizeof(del) - 1), del, sizeof(del) - 1) &&
		    n[0] == '/') {
			v->deleted = true;
			len -= sizeof(del) - 1;
		}
		v->name = strndup(n, len);
		if (!v->name)
			return -ENOMEM;
	}
	v->kind = kind_of(v->name);
	return 0;
}

/* A header line starts with a hex address and a '-'; field lines with a key and ':'. */
static bool is_vma_header(const char *line)
{
	const char *p = line;

	while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
		p++;
	return p > line && *p == '-';
}

int proc_parse_smaps(const char *text, struct proc_vmas *out)
{
	const char *line = text;
	unsigned int cap = 0;
	struct proc_vma *cur = NULL;

	out->v = NULL;
	out->n = 0;
	while (line && *line) {
		const char *nl = strchr(line, '\n');

		if (!nl)
			nl = line + strlen(line);
		if (is_vma_header(line)) {
			if (out->n == cap) {
				unsigned int ncap = cap ? cap * 2 : 64;
				struct proc_vma *nv = realloc(out->v, ncap * sizeof(*nv));

				if (!nv)
					goto nomem;
				out->v = nv;
				cap = ncap;
			}
			cur = &out->v[out->n];
			int r = parse_vma_header(line, nl, cur);
			if (r) {
				proc_vmas_free(out);
				return r;
			}
			out->n++;
		} else if (cur && !strncmp(line, "VmFlags:", 8)) {
			cur->vmflags = parse_vmflags(line + 8);
		} else if (cur && !strncmp(line, "AnonHugePages:", 14)) {
			cur->anon_huge = strtoul(line + 14, NULL, 10) != 0;
		}
		line = *nl ? nl + 1 : NULL;
	}
	return 0;
nomem:
	proc_vmas_free(out);
	return -ENOMEM;
}

int proc_read_smaps(pid_t pid, struct proc_vmas *out)
{
	_cleanup_free_ char *t = NULL;
	int r = proc_read_file(pid, "smaps", &t, NULL);

	if (r)
		return r;
	r = proc_parse_smaps(t, out);
	if (r)
		pr_err("can't parse /proc/%d/smaps: %s\n", (int)pid, strerror(-r));
	return r;
}

void proc_vmas_free(struct proc_vmas *v)
{
	for (unsigned int i = 0; i < v->n; i++)
		free(v->v[i].name);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

/* ------------------------------------------------------------ auxv */

int proc_read_auxv(pid_t pid, uint64_t **words, size_t *n)
{
	_cleanup_free_ char *t = NULL;
	size_t len, i;
	uint64_t *w;
	int r;

	r = proc_read_file(pid, "auxv", &t, &len);
	if (r)
		return r;
	len /= sizeof(uint64_t);
	w = (uint64_t *)t;
	/* Keep pairs up to and including AT_NULL. */
	for (i = 0; i + 1 < len; i += 2)
		if (w[i] == 0) {
			i += 2;
			break;
		}
	*n = min(i, len);
	*words = (uint64_t *)TAKE_PTR(t);
	return 0;
}

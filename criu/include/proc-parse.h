/*
 * Readers of /proc/PID files for dump: stat, status, smaps, auxv.
 *
 * Every function returns 0 or -errno and logs the reason once (a missing
 * pid is -ESRCH, named).  The parsers are pure text readers: the
 * *_parse_* variants take the file's text so unit tests can feed them.
 */
#ifndef CRIU_PROC_PARSE_H
#define CRIU_PROC_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

/* What /proc/PID/stat tells (fields we use; numbering as in proc(5)). */
struct proc_stat {
	char comm[17];
	char state; /* R, S, D, T, t, Z, X, I ... */
	pid_t ppid, pgid, sid;
	int tty_nr;
	unsigned int flags; /* PF_* */
	long nice;
	long num_threads;
	unsigned long start_code, end_code, start_stack;
	unsigned long start_data, end_data, start_brk;
	unsigned long arg_start, arg_end, env_start, env_end;
	int exit_code;
};

int proc_parse_stat(const char *text, struct proc_stat *st);
int proc_read_stat(pid_t pid, struct proc_stat *st) __must_check;
/*
 * Is @pid dead: gone, or a zombie nobody has reaped yet?  Quiet (a task
 * that is gone is the expected answer); @st, when not NULL, gets its stat
 * while it is still there.
 */
bool proc_pid_dead(pid_t pid, struct proc_stat *st);

/* What /proc/PID/status tells. */
struct proc_status {
	pid_t tgid, ppid;
	unsigned int uid[4], gid[4]; /* real, effective, saved, fs */
	unsigned int *groups;	     /* malloc'ed */
	unsigned int nr_groups;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	int seccomp;	  /* 0 none, 1 strict, 2 filter */
	int no_new_privs; /* -1 when not shown */
	int threads;
	int nspid_levels; /* entries on the NSpid line (1: criu's pid ns) */
	int thp_enabled;  /* -1 when not shown */
	bool kthread;	  /* "Kthread: 1" */
};

int proc_parse_status(const char *text, struct proc_status *st);
int proc_read_status(pid_t pid, struct proc_status *st) __must_check;
void proc_status_free(struct proc_status *st);

/* Kinds of memory area by the name /proc shows (or none). */
enum vma_kind {
	VMA_K_ANON,	   /* no name */
	VMA_K_FILE,	   /* a path */
	VMA_K_HEAP,	   /* [heap] */
	VMA_K_STACK,	   /* [stack] */
	VMA_K_VDSO,	   /* [vdso] */
	VMA_K_VVAR,	   /* [vvar] */
	VMA_K_VVAR_VCLOCK, /* [vvar_vclock] */
	VMA_K_VSYSCALL,	   /* [vsyscall] */
	VMA_K_OTHER,	   /* any other [name] or anon:name */
};

/* VmFlags bits we keep (the two-letter codes of smaps). */
#define VMF_GROWSDOWN	(1u << 0)  /* gd */
#define VMF_LOCKED	(1u << 1)  /* lo */
#define VMF_IO		(1u << 2)  /* io */
#define VMF_PFNMAP	(1u << 3)  /* pf */
#define VMF_HUGEPAGE	(1u << 4)  /* hg */
#define VMF_NOHUGE	(1u << 5)  /* nh */
#define VMF_DONTDUMP	(1u << 6)  /* dd */
#define VMF_DONTFORK	(1u << 7)  /* dc */
#define VMF_WIPEONFORK	(1u << 8)  /* wf */
#define VMF_SEQ_READ	(1u << 9)  /* sr */
#define VMF_RAND_READ	(1u << 10) /* rr */
#define VMF_MERGEABLE	(1u << 11) /* mg */
#define VMF_SHSTK	(1u << 12) /* ss */
#define VMF_DONTEXPAND	(1u << 13) /* de */
#define VMF_SHARED	(1u << 14) /* sh */
#define VMF_LOCKONFAULT (1u << 15) /* lf */
#define VMF_UFFD	(1u << 16) /* um, uw */
#define VMF_SEALED	(1u << 17) /* sl */
#define VMF_MAYWRITE	(1u << 18) /* mw */
#define VMF_HUGETLB	(1u << 19) /* ht */

struct proc_vma {
	unsigned long start, end;
	unsigned long pgoff; /* bytes */
	unsigned int prot;   /* PROT_* */
	bool shared;	     /* 's' in the perms */
	unsigned int dev_major, dev_minor;
	unsigned long ino;
	enum vma_kind kind;
	bool deleted;	      /* "(deleted)" after the path */
	unsigned int vmflags; /* VMF_* */
	bool anon_huge;	      /* AnonHugePages > 0 */
	char *name;	      /* path or [name] as shown, malloc'ed, or NULL */
};

struct proc_vmas {
	struct proc_vma *v;
	unsigned int n;
};

/* Parse smaps text (every VMA's header line and VmFlags). */
int proc_parse_smaps(const char *text, struct proc_vmas *out);
int proc_read_smaps(pid_t pid, struct proc_vmas *out) __must_check;
void proc_vmas_free(struct proc_vmas *v);

/* /proc/PID/auxv as 64-bit words up to and including the AT_NULL pair. */
int proc_read_auxv(pid_t pid, uint64_t **words, size_t *n) __must_check;

/* Whole small /proc file into a NUL-terminated buffer (freed by caller). */
int proc_read_file(pid_t pid, const char *name, char **text, size_t *len) __must_check;
/* One-line number from /proc/PID/NAME (hex with @base 16). */
int proc_read_ulong(pid_t pid, const char *name, int base, unsigned long *val) __must_check;

#endif /* CRIU_PROC_PARSE_H */

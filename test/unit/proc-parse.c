/*
 * Unit tests of the /proc parsers (criu/proc-parse.c): stat with awkward
 * command names, status, smaps with special areas, deleted files and
 * VmFlags, and text that is cut short or garbage.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "proc-parse.h"
#include "unit.h"

static const char stat_line[] =
	"4242 (we) ird (name)) S 1 4242 4242 0 -1 4194560 123 0 0 0 1 2 0 0 20 -5 1 0 12345 10485760 300 "
	"18446744073709551615 94000000000000 94000000004096 140700000000000 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 "
	"94000000008192 94000000012288 94000100000000 140700000001000 140700000001100 140700000001100 "
	"140700000002000 0\n";

static void test_stat(void)
{
	struct proc_stat st;

	CHECK(proc_parse_stat(stat_line, &st) == 0);
	CHECK_STR(st.comm, "we) ird (name)");
	CHECK(st.state == 'S');
	CHECK(st.ppid == 1 && st.pgid == 4242 && st.sid == 4242);
	CHECK(st.flags == 4194560);
	CHECK(st.nice == -5);
	CHECK(st.num_threads == 1);
	CHECK(st.start_code == 94000000000000UL && st.end_code == 94000000004096UL);
	CHECK(st.start_stack == 140700000000000UL);
	CHECK(st.start_data == 94000000008192UL && st.start_brk == 94000100000000UL);
	CHECK(st.arg_start == 140700000001000UL && st.env_end == 140700000002000UL);
	CHECK(st.exit_code == 0);

	CHECK(proc_parse_stat("", &st) == -EINVAL);
	CHECK(proc_parse_stat("12 (x", &st) == -EINVAL);
	CHECK(proc_parse_stat("12 (x) S 1 2 3", &st) == -EINVAL); /* too short */
	CHECK(proc_parse_stat("12 (x) S 1 2 zz", &st) == -EINVAL);
}

static void test_own_stat(void)
{
	struct proc_stat st;

	CHECK(proc_read_stat(getpid(), &st) == 0);
	CHECK(st.state == 'R');
	CHECK(st.sid == getsid(0));
	CHECK(st.start_code && st.start_code < st.end_code);
	CHECK(proc_read_stat(0x7ffffff0, &st) == -ESRCH);
}

static const char status_text[] = "Name:\tcat\n"
				  "Umask:\t0022\n"
				  "State:\tR (running)\n"
				  "Tgid:\t100\n"
				  "Ngid:\t0\n"
				  "Pid:\t100\n"
				  "PPid:\t99\n"
				  "Uid:\t1000\t1001\t1002\t1003\n"
				  "Gid:\t2000\t2001\t2002\t2003\n"
				  "Groups:\t4 24 27 \n"
				  "NSpid:\t100\t7\n"
				  "Threads:\t3\n"
				  "CapInh:\t0000000000000000\n"
				  "CapPrm:\t000001ffffffffff\n"
				  "CapEff:\t000001ffffffffff\n"
				  "CapBnd:\t000001ffffffffff\n"
				  "CapAmb:\t0000000000000001\n"
				  "NoNewPrivs:\t1\n"
				  "Seccomp:\t2\n"
				  "THP_enabled:\t1\n";

static void test_status(void)
{
	struct proc_status st;

	CHECK(proc_parse_status(status_text, &st) == 0);
	CHECK(st.tgid == 100 && st.ppid == 99);
	CHECK(st.uid[0] == 1000 && st.uid[3] == 1003 && st.gid[1] == 2001);
	CHECK(st.nr_groups == 3 && st.groups[2] == 27);
	CHECK(st.nspid_levels == 2);
	CHECK(st.threads == 3);
	CHECK(st.cap_prm == 0x1ffffffffffULL && st.cap_amb == 1);
	CHECK(st.no_new_privs == 1 && st.seccomp == 2 && st.thp_enabled == 1);
	CHECK(!st.kthread);
	proc_status_free(&st);

	CHECK(proc_parse_status("Uid:\t1 2\n", &st) == -EINVAL);
	CHECK(proc_parse_status("Kthread:\t1\n", &st) == 0 && st.kthread);
	proc_status_free(&st);
}

static const char smaps_text[] =
	"55d0c0000000-55d0c0001000 r--p 00000000 fe:00 1234                       /usr/bin/x y\n"
	"Size:                  4 kB\n"
	"VmFlags: rd mr mw me sd \n"
	"55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0                          [heap]\n"
	"AnonHugePages:      2048 kB\n"
	"VmFlags: rd wr mr mw me ac hg \n"
	"7f0000000000-7f0000008000 rw-s 00000000 00:01 77                         /dev/zero (deleted)\n"
	"VmFlags: rd wr sh mr mw me ms dd ht \n"
	"7f0000010000-7f0000011000 rw-p 00002000 00:20 99                         /tmp/gone (deleted)\n"
	"7f0000020000-7f0000021000 rw-p 00000000 00:00 0                          [anon:glibc]\n"
	"7f0000030000-7f0000034000 r--p 00000000 00:00 0                          [vvar]\n"
	"7f0000034000-7f0000036000 r--p 00000000 00:00 0                          [vvar_vclock]\n"
	"7f0000036000-7f0000038000 r-xp 00000000 00:00 0                          [vdso]\n"
	"7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]\n"
	"VmFlags: rd wr mr mw me gd ac \n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static void test_smaps(void)
{
	struct proc_vmas v;

	CHECK(proc_parse_smaps(smaps_text, &v) == 0);
	CHECK(v.n == 10);
	if (v.n != 10)
		return;
	CHECK(v.v[0].kind == VMA_K_FILE && v.v[0].prot == PROT_READ && !v.v[0].shared);
	CHECK_STR(v.v[0].name, "/usr/bin/x y");
	CHECK(v.v[0].dev_major == 0xfe && v.v[0].ino == 1234);
	CHECK(v.v[0].vmflags & VMF_MAYWRITE);
	CHECK(v.v[1].kind == VMA_K_HEAP && v.v[1].anon_huge && (v.v[1].vmflags & VMF_HUGEPAGE));
	CHECK(v.v[2].kind == VMA_K_FILE && v.v[2].shared && v.v[2].deleted);
	CHECK_STR(v.v[2].name, "/dev/zero");
	CHECK(v.v[2].vmflags & VMF_DONTDUMP);
	CHECK(v.v[2].vmflags & VMF_HUGETLB);
	CHECK(v.v[3].deleted && v.v[3].pgoff == 0x2000);
	CHECK(v.v[4].kind == VMA_K_ANON);
	CHECK(v.v[5].kind == VMA_K_VVAR && v.v[6].kind == VMA_K_VVAR_VCLOCK && v.v[7].kind == VMA_K_VDSO);
	CHECK(v.v[7].prot == (PROT_READ | PROT_EXEC));
	CHECK(v.v[8].kind == VMA_K_STACK && (v.v[8].vmflags & VMF_GROWSDOWN));
	CHECK(v.v[9].kind == VMA_K_VSYSCALL && v.v[9].start == 0xffffffffff600000UL);
	proc_vmas_free(&v);

	CHECK(proc_parse_smaps("", &v) == 0 && v.n == 0);
	CHECK(proc_parse_smaps("1000-2000 rw-p\n", &v) == -EINVAL);
	CHECK(proc_parse_smaps("garbage\nmore garbage\n", &v) == 0 && v.n == 0);
}

static void test_own_smaps(void)
{
	struct proc_vmas v;
	int heap_or_anon = 0, vdso = 0;

	CHECK(proc_read_smaps(getpid(), &v) == 0);
	for (unsigned int i = 0; i < v.n; i++) {
		heap_or_anon += v.v[i].kind == VMA_K_ANON || v.v[i].kind == VMA_K_HEAP;
		vdso += v.v[i].kind == VMA_K_VDSO;
		if (i)
			CHECK(v.v[i - 1].end <= v.v[i].start);
	}
	CHECK(heap_or_anon > 0 && vdso == 1);
	proc_vmas_free(&v);
}

static void test_auxv(void)
{
	uint64_t *w = NULL;
	size_t n = 0;

	CHECK(proc_read_auxv(getpid(), &w, &n) == 0);
	CHECK(n >= 4 && n % 2 == 0);
	if (n >= 2)
		CHECK(w[n - 2] == 0); /* ends with AT_NULL */
	free(w);
}

int main(void)
{
	RUN(test_stat);
	RUN(test_own_stat);
	RUN(test_status);
	RUN(test_smaps);
	RUN(test_own_smaps);
	RUN(test_auxv);
	return unit_done();
}

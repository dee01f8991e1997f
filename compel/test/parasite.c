/*
 * The test parasite: a few commands that show the blob runs where it
 * should (ids), reads the task's memory (checksum), was relocated (a table
 * of string pointers), and that a fault in it is caught (crash).
 */
#include "std.h"
#include "parasite.h"

static const char *const words[] = { "seize", "infect", "cure", "release" };

static uint64_t checksum(const uint64_t *p, uint64_t len)
{
	uint64_t s = 0;

	for (uint64_t i = 0; i < len / 8; i++)
		s = (s ^ p[i]) * 0x100000001b3ull;
	return s;
}

int parasite_command(unsigned int cmd, void *args, unsigned long size)
{
	struct pt_args *a = args;

	if (size < sizeof(*a))
		return -22;
	switch (cmd) {
	case PT_CMD_IDS:
		a->pid = (int32_t)sys_getpid();
		a->tid = (int32_t)sys_gettid();
		return 0;
	case PT_CMD_SUM:
		a->sum = checksum((const uint64_t *)a->addr, a->len);
		return 0;
	case PT_CMD_TABLE:
		if (a->index >= sizeof(words) / sizeof(words[0]))
			return -22;
		memcpy(a->buf, words[a->index], strlen(words[a->index]) + 1);
		return (int)strlen(a->buf);
	case PT_CMD_CRASH:
		/* An address the compiler cannot see is bad. */
		*(volatile int *)(a->addr) = 1;
		return 0;
	case PT_CMD_MASK:
		return (int)sys_sigprocmask(0 /* SIG_BLOCK nothing */, 0, &a->mask);
	}
	return -38;
}

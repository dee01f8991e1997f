/*
 * Commands of the test parasite (compel/test/parasite.c) and their
 * arguments, shared with the test drivers.  Fixed-width types only.
 */
#ifndef COMPEL_TEST_PARASITE_H
#define COMPEL_TEST_PARASITE_H

#include <stdint.h>

enum {
	PT_CMD_IDS = 64, /* who am I: pid and tid */
	PT_CMD_SUM,	 /* checksum of a memory range of the task */
	PT_CMD_TABLE,	 /* a string from a table of pointers (relocations) */
	PT_CMD_CRASH,	 /* fault on purpose */
	PT_CMD_MASK,	 /* the blocked mask while the runtime runs */
};

struct pt_args {
	int32_t pid, tid;
	uint64_t addr, len, sum;
	uint32_t index;
	char buf[64];
	uint64_t mask;
};

#endif

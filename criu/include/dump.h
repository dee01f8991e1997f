/*
 * One task being dumped: what cr-dump.c gathers about it and hands to the
 * writers of its images (core-dump.c: core, mm fields, ids).
 */
#ifndef CRIU_DUMP_H
#define CRIU_DUMP_H

#include <stdbool.h>
#include <sys/types.h>

#include <compel.h>

#include "arena.h"
#include "image.h"
#include "parasite-cmds.h"
#include "proc-parse.h"
#include "images/core.pb-c.h"
#include "images/mm.pb-c.h"

struct dump_task {
	pid_t pid;
	pid_t ppid;		  /* its parent in the tree, 0 for the root */
	struct parasite_ctl *ctl; /* seized */
	bool stopped;		  /* in a group stop when seized */
	bool zombie;		  /* dead, not reaped: only core and pstree */
	bool vm_child;		  /* shares its parent's memory and signal handlers: no mm of its own */
	TaskKobjIdsEntry ids;	  /* vm, files, fs, sighand ids (kcmp) */
	struct proc_stat stat;
	struct proc_status status;
	struct parasite_task_state ps; /* from the parasite */
	struct arena a;		       /* messages built for its images */
};

/* criu's command: dump the tree under opts.tree_id into the images dir. */
int cr_dump_tasks(void);

/* Build the task's core_entry (registers, task and thread state). */
int dump_task_core(struct dump_task *t, CoreEntry **core) __must_check;
/* The mm_entry fields but its VMAs: code/data/brk/stack/args/env, auxv, exe. */
int dump_task_mm(struct dump_task *t, MmEntry *mm) __must_check;

/*
 * Ids a dump gives to kernel objects (vm, files, fs, sighand): criu's own
 * are 1, the tree's count from 2 per kind, tasks sharing one object (kcmp)
 * share its id, as CRIU numbers them.
 */
#define DUMP_ID_CRIU 1
#define DUMP_ID_TASK 2
/* Fill @ids with the namespace ids (shared with criu: refused otherwise). */
void dump_fill_ns_ids(TaskKobjIdsEntry *ids);

#endif /* CRIU_DUMP_H */

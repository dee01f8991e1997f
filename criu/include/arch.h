/*
 * What dump and restore need from the architecture (criu/arch/x86/):
 * registers and extended state between compel's view of a thread and the
 * core image's thread_info, and the machine type the core image names.
 *
 * Generic code includes this and never tests the architecture itself.
 */
#ifndef CRIU_ARCH_H
#define CRIU_ARCH_H

#include <compel.h>

#include "arena.h"
#include "images/core.pb-c.h"

/* The core_entry.mtype this build writes and restores. */
#define ARCH_CORE_MTYPE CORE_ENTRY__MARCH__X86_64

/*
 * Fill core->thread_info from the seized thread @ti: the registers to load
 * on restore (the kernel's syscall restart applied, see
 * compel_regs_restartable()), fs/gs base, and the FPU/SSE/AVX/AVX-512 state
 * laid out as CRIU's core-x86.proto does.  Memory comes from @a.
 * 0 or -errno (logged).
 */
int arch_dump_thread_info(struct arena *a, CoreEntry *core, const struct compel_thread_info *ti);

/*
 * The general registers of the image's thread, ready for compel_set_regs():
 * orig_ax is -1 so the kernel applies no further restart.  -EINVAL (logged)
 * when the image has no x86_64 thread_info or a 32-bit task.
 */
int arch_image_regs(const CoreEntry *core, compel_regs_t *regs);

/*
 * Write the image's FPU and extended state over @buf, an NT_X86_XSTATE
 * buffer of @size bytes read from the restoring thread (its software
 * reserved bytes are kept).  -EOPNOTSUPP (logged) when the image uses
 * state components this CPU does not have.
 */
int arch_image_xstate(const CoreEntry *core, void *buf, size_t size);

/* The image's clear_child_tid address (0 when absent). */
uint64_t arch_image_clear_tid(const CoreEntry *core);

#endif /* CRIU_ARCH_H */

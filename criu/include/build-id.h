/*
 * ELF build-id: the NT_GNU_BUILD_ID note of an executable or library, which
 * reg_file_entry.build_id records so that restore can tell the file is the
 * one that was dumped (--file-validation buildid).
 */
#ifndef CRIU_BUILD_ID_H
#define CRIU_BUILD_ID_H

#include <stddef.h>
#include <stdint.h>

/* Longest build-id accepted (CRIU's bound). */
#define BUILD_ID_MAX 512

/*
 * Read the build-id of the file open (readable) at @fd into @buf, which
 * holds BUILD_ID_MAX bytes.  As CRIU does: the first PT_NOTE segment holding
 * a note of type NT_GNU_BUILD_ID, looked for within the first 1 MiB of the
 * file, 32- or 64-bit ELF.  Returns its length (1..BUILD_ID_MAX), 0 when the
 * file is not ELF or has none, -errno when reading fails.  Never logs.
 */
int elf_build_id(int fd, uint8_t *buf);

#endif /* CRIU_BUILD_ID_H */

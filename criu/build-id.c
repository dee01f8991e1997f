/*
 * ELF build-id reader (see build-id.h).  Reads the ELF header, the program
 * headers and the notes with pread, never past the first 1 MiB of the file:
 * CRIU looks no further, and a file where the two would disagree would fail
 * validation against images CRIU wrote.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-id.h"

#define WINDOW (1u << 20)

static int read_at(int fd, void *buf, size_t len, uint64_t off, uint64_t end)
{
	ssize_t n;

	if (off > end || len > end - off)
		return 0; /* outside the window: treated as absent */
	n = pread(fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (size_t)n == len;
}

static uint64_t align4(uint64_t v)
{
	return (v + 3) & ~(uint64_t)3;
}

/* Walk the notes of one PT_NOTE segment [@off, @off + @filesz). */
static int scan_notes(int fd, uint64_t off, uint64_t filesz, uint64_t end, uint8_t *buf)
{
	uint64_t last, pos = off;
	Elf64_Nhdr nh; /* the same layout as Elf32_Nhdr */
	int r;

	if (end < sizeof(nh))
		return 0;
	last = end - sizeof(nh);
	if (off + filesz < last)
		last = off + filesz;
	while (pos <= last) {
		r = read_at(fd, &nh, sizeof(nh), pos, end);
		if (r <= 0)
			return r;
		if (nh.n_type == NT_GNU_BUILD_ID)
			break;
		pos += sizeof(nh) + align4(nh.n_namesz) + align4(nh.n_descsz);
	}
	if (pos > last)
		return 0;
	if (nh.n_descsz == 0 || nh.n_descsz > BUILD_ID_MAX)
		return 0;
	r = read_at(fd, buf, nh.n_descsz, pos + sizeof(nh) + align4(nh.n_namesz), end);
	return r <= 0 ? r : (int)nh.n_descsz;
}

int elf_build_id(int fd, uint8_t *buf)
{
	unsigned char ident[EI_NIDENT];
	uint64_t end, phoff;
	unsigned int phnum, phsize;
	struct stat st;
	int r;

	if (fstat(fd, &st))
		return -errno;
	end = (uint64_t)st.st_size < WINDOW ? (uint64_t)st.st_size : WINDOW;
	r = read_at(fd, ident, sizeof(ident), 0, end);
	if (r <= 0 || memcmp(ident, ELFMAG, SELFMAG))
		return r < 0 ? r : 0;

	if (ident[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;

		r = read_at(fd, &eh, sizeof(eh), 0, end);
		if (r <= 0)
			return r;
		phoff = eh.e_phoff, phnum = eh.e_phnum, phsize = sizeof(Elf64_Phdr);
	} else if (ident[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;

		r = read_at(fd, &eh, sizeof(eh), 0, end);
		if (r <= 0)
			return r;
		phoff = eh.e_phoff, phnum = eh.e_phnum, phsize = sizeof(Elf32_Phdr);
	} else {
		return 0;
	}
	if (!phoff)
		return 0;

	for (unsigned int i = 0; i < phnum; i++) {
		uint64_t off, filesz;

		if (phsize == sizeof(Elf64_Phdr)) {
			Elf64_Phdr ph;

			r = read_at(fd, &ph, sizeof(ph), phoff + (uint64_t)i * phsize, end);
			if (r <= 0)
				return r;
			if (ph.p_type != PT_NOTE)
				continue;
			off = ph.p_offset, filesz = ph.p_filesz;
		} else {
			Elf32_Phdr ph;

			r = read_at(fd, &ph, sizeof(ph), phoff + (uint64_t)i * phsize, end);
			if (r <= 0)
				return r;
			if (ph.p_type != PT_NOTE)
				continue;
			off = ph.p_offset, filesz = ph.p_filesz;
		}
		if (!off)
			continue;
		r = scan_notes(fd, off, filesz, end, buf);
		if (r)
			return r;
	}
	return 0;
}

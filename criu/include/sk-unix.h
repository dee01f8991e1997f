/*
 * Unix sockets, inside criu/sk-unix*.c only: sk-unix.c dumps them (and
 * holds the kind), sk-unix-restore.c brings them back.
 */
#ifndef CRIU_SK_UNIX_H
#define CRIU_SK_UNIX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

struct file_desc;
struct img_dir;

/* Socket states as the kernel reports them (TCP_* of include/net/tcp_states.h). */
#define USK_ESTABLISHED 1
#define USK_CLOSE	7
#define USK_LISTEN	10

/* unix_sk_entry.uflags: the peer outside the dump, written for its name. */
#define USK_EXTERN (1u << 0)

#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/* "@name", "/path" or "(unnamed)" of a unix_sk_entry name, for messages. */
const char *usk_name_str(const uint8_t *name, size_t len, char *buf, size_t size);

/* sk-unix-restore.c: the kind's restore side. */
int usk_collect_images(struct img_dir *dir);
int usk_collect(struct file_desc *d);
int usk_open(struct file_desc *d, int *fd);
void usk_restore_fini(void);

#endif /* CRIU_SK_UNIX_H */

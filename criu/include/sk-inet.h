/*
 * Between sk-inet.c (the INETSK fd kind: TCP and UDP sockets over IPv4 and
 * IPv6) and sk-tcp.c (established TCP connections through TCP_REPAIR, and
 * their tcp-stream-<ino>.img).
 */
#ifndef CRIU_SK_INET_H
#define CRIU_SK_INET_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "net-lock.h"
#include "images/sk-inet.pb-c.h"

struct img_dir;

/* TCP states, as the kernel and the image number them. */
enum tcp_state {
	TCP_ST_ESTABLISHED = 1,
	TCP_ST_SYN_SENT,
	TCP_ST_SYN_RECV,
	TCP_ST_FIN_WAIT1,
	TCP_ST_FIN_WAIT2,
	TCP_ST_TIME_WAIT,
	TCP_ST_CLOSE,
	TCP_ST_CLOSE_WAIT,
	TCP_ST_LAST_ACK,
	TCP_ST_LISTEN,
	TCP_ST_CLOSING,
};

/* May a connection in TCP state @st be dumped through repair mode? */
bool inet_state_repairable(unsigned int st);
/* "ESTABLISHED"... for messages. */
const char *inet_state_name(unsigned int st);
/* setsockopt/getsockopt of an int: 0 or -errno. */
int inet_set_int(int sk, int level, int opt, int val);
int inet_get_int(int sk, int level, int opt, int *val);

/* The INETSK kind's restore side (sk-inet-restore.c). */
struct file_desc;
int inet_collect_images(struct img_dir *dir);
int inet_collect(struct file_desc *d);
int inet_open(struct file_desc *d, int *fd);
void inet_restore_fini(void);

/* A socket address of either family. */
union inet_addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/*
 * Build the address @port / @words (1 word for IPv4, 4 for IPv6, network
 * order) of @family into @a; returns its length.  @ifindex is the IPv6
 * scope (0: none).
 */
socklen_t inet_make_addr(union inet_addr *a, int family, uint32_t port, const uint32_t *words, unsigned int ifindex);

/*
 * TCP states (of the kernel and the images) where the task's own FIN was
 * sent (FIN_WAIT1/2, LAST_ACK, CLOSING) and where the peer's FIN came
 * (CLOSE_WAIT, LAST_ACK, CLOSING).
 */
bool tcp_state_fin_sent(unsigned int st);
bool tcp_state_fin_received(unsigned int st);

/* ------------------------------------------------------------ dump */

/*
 * Before the tree is touched: without --tcp-established (or --tcp-close),
 * a connected TCP socket of task @pid refuses the dump, with the message
 * CRIU gives (-EOPNOTSUPP).  0 otherwise, also when @pid can't be read
 * (the task checks say why).
 */
int inet_check_task(pid_t pid);

/*
 * Dump the established connection of @lfd (criu's fd on the socket,
 * @ino its inode) described by @c: lock it, switch the socket to repair
 * mode, write tcp-stream-<ino>.img.  The socket stays in repair mode
 * until tcp_dump_repair_off() (dump failed or -R) or criu's exit.
 * @what names the fd for messages; *@state gets the TCP state read in
 * repair mode (ESTABLISHED, or CLOSE_WAIT once the peer has closed).
 */
int tcp_dump_connection(int lfd, uint32_t ino, const struct net_conn *c, const char *what, unsigned int *state);
/* Write the tcp-stream images of the dumped connections (dump_finish). */
int tcp_dump_write(struct img_dir *dir);
/* Take every dumped connection out of repair mode (the tree resumes). */
void tcp_dump_repair_off(void);
/* Close criu's fds on the dumped connections (still in repair mode: no FIN, no RST). */
void tcp_dump_fini(void);
/* The TCP options (nodelay, cork, keepalive parameters) of @sk. */
int tcp_dump_opts(int sk, TcpOptsEntry *to);

/* ------------------------------------------------------------ restore */

/* The tcp-stream image of one connection, read at collect time. */
struct tcp_stream_rst;

/* Read tcp-stream-<@ino>.img of @dir into *@out (one allocation: free()). */
int tcp_restore_read(struct img_dir *dir, uint32_t ino, struct tcp_stream_rst **out);
/*
 * Make @sk (a new TCP socket, bound nowhere yet) the connection of @ie
 * with the state @s: repair mode, sequence numbers, bind (@ifindex: IPv6
 * scope or 0), connect, options, receive queue, window.  It is left in
 * repair mode; tcp_restore_finish() ends that.
 */
int tcp_restore_connection(int sk, const InetSkEntry *ie, const struct tcp_stream_rst *s, unsigned int ifindex);
/*
 * Once the lock is lifted (criu's main process, the tasks about to run):
 * refill the send queue, leave repair mode, queue the unsent bytes, send
 * the task's FIN again if it had shut its end down, set the send buffer
 * of @ie back.
 */
int tcp_restore_finish(int sk, const struct tcp_stream_rst *s, const InetSkEntry *ie);
void tcp_restore_opts(int sk, const TcpOptsEntry *to);
/* Finish every rebuilt connection (tcp_restore_finish()) and drop criu's fds on them. */
int inet_resume_connections(void);

#endif /* CRIU_SK_INET_H */

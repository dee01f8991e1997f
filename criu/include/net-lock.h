/*
 * The network lock: while a tree with established TCP connections is
 * dumped, and until it is restored, no packet of those connections may
 * reach either end, or the kernel of the side that still runs would answer
 * with a reset (or the restored side would miss data).  Each connection is
 * held by dropping its packets in both directions:
 *
 *   iptables (default)  two rules per connection (INPUT and OUTPUT of the
 *                       filter table), as CRIU writes them, through
 *                       iptables-restore / ip6tables-restore --noflush
 *   nftables            table "inet CRIU-<dump run id>" with sets conns4 and
 *                       conns6 of (addr . port . addr . port), dropped in
 *                       hooks input and output; unlock deletes the table
 *   skip                nothing (the caller holds the network some other way)
 *
 * Packets carrying mark 0xC114 (SOCCR_MARK) pass, as with CRIU.
 *
 * The network-lock and network-unlock action scripts run around the rules
 * when there is something to lock: before the first connection is locked,
 * after the last is unlocked.
 *
 * Dump, how to use (criu's main process):
 *  1. net_lock_connection() for each connection, before its state is read
 *     (sk-tcp.c does it); the first call chooses the method (--network-lock)
 *     and runs the network-lock scripts.
 *  2. network_dump_end(r) before the tree is resumed or killed: when the
 *     dump failed (@r != 0) or the tree keeps running (-R), every dumped
 *     connection leaves repair mode, the rules go and the network-unlock
 *     scripts run.  Otherwise the lock stays for the restore to lift.
 *
 * Restore:
 *  1. net_unlock_add() for each connection of the images (sk-inet.c, from
 *     files_collect()), with the method and run id of the inventory.
 *  2. network_unlock_restore() once every task is ready, before they are
 *     let go: rules removed, the rebuilt connections out of repair mode
 *     (sk-inet.c), network-unlock scripts run (their failure is logged,
 *     not returned: the tree is restored).  After a failed restore the
 *     lock stays (the images can be restored again).
 *
 * Errors: 0 or -errno, logged where found.
 */
#ifndef CRIU_NET_LOCK_H
#define CRIU_NET_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One TCP connection, seen from the dumped socket. */
struct net_conn {
	int family;	 /* AF_INET or AF_INET6 */
	uint32_t src[4]; /* network byte order; IPv4 in src[0] */
	uint32_t dst[4];
	uint16_t sport; /* host byte order */
	uint16_t dport;
};

/* "127.0.0.1:80 -> 127.0.0.1:4242" into @buf (for messages). */
const char *net_conn_str(const struct net_conn *c, char *buf, size_t len);

int net_lock_connection(const struct net_conn *c) __attribute__((warn_unused_result));
/* The same for @n connections at once (one run of each tool); locked ones are skipped. */
int net_lock_connections(const struct net_conn *cs, size_t n) __attribute__((warn_unused_result));
void network_dump_end(int r);

/* @method: INVENTORY_NETLOCK_*; @run_id: the inventory's dump_criu_run_id. */
void net_unlock_setup(uint32_t method, const char *run_id);
int net_unlock_add(const struct net_conn *c);
/* @pid: the restored root task (for the scripts). */
int network_unlock_restore(pid_t pid);

#endif /* CRIU_NET_LOCK_H */

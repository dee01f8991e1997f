/*
 * The network lock of dumped TCP connections (see net-lock.h): iptables
 * or nftables rules that drop every packet of a connection while its
 * sockets are frozen, in the images, or being restored.
 *
 * The tools run as child processes (iptables-restore, ip6tables-restore,
 * nft) fed on standard input, one call per batch; their output goes to the
 * log.  The rules are CRIU's, so a lock taken by one tool is lifted by the
 * other: "-m mark ! --mark 0xC114 --source A --sport P --destination B
 * --dport Q -j DROP" in INPUT for the packets coming in and in OUTPUT for
 * those going out, or the table "inet CRIU-<run id>".
 */
#define LOG_PREFIX "netlock: "

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "action-scripts.h"
#include "cr_options.h"
#include "inventory.h"
#include "log.h"
#include "net-lock.h"
#include "sk-inet.h"

#define SOCCR_MARK "0xC114"

static struct {
	struct net_conn *conns;
	size_t nr, max;
	uint32_t method; /* INVENTORY_NETLOCK_* */
	char table[64];	 /* nftables: "inet CRIU-<id>" */
	bool nft_made;	 /* the table exists (dump) */
	bool locking;	 /* dump: the network-lock scripts ran */
} nl;

const char *net_conn_str(const struct net_conn *c, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	bool v6 = c->family == AF_INET6;

	inet_ntop(c->family, c->src, s, sizeof(s));
	inet_ntop(c->family, c->dst, d, sizeof(d));
	snprintf(buf, len, "%s%s%s:%u -> %s%s%s:%u", v6 ? "[" : "", s, v6 ? "]" : "", c->sport, v6 ? "[" : "", d,
		 v6 ? "]" : "", c->dport);
	return buf;
}

/* A v4-mapped IPv6 connection (::ffff:a.b.c.d) travels as IPv4. */
static struct net_conn wire_conn(const struct net_conn *c)
{
	struct net_conn w = *c;

	if (c->family == AF_INET6 && !c->src[0] && !c->src[1] && c->src[2] == htonl(0xffff) && !c->dst[0] &&
	    !c->dst[1] && c->dst[2] == htonl(0xffff)) {
		w.family = AF_INET;
		memset(w.src, 0, sizeof(w.src));
		memset(w.dst, 0, sizeof(w.dst));
		w.src[0] = c->src[3];
		w.dst[0] = c->dst[3];
	}
	return w;
}

/*
 * Run @argv with @input on its standard input; its output goes to the log
 * (at error level when it fails).  0, or -EIO when it exits non-zero.
 */
static int run_tool(char *const argv[], const char *input, bool quiet)
{
	struct sigaction old_pipe;
	int in[2], out[2], status;
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC))
		return pr_err_ret(-errno, "can't make a pipe for %s", argv[0]);
	if (pipe2(out, O_CLOEXEC)) {
		int r = -errno;

		close(in[0]);
		close(in[1]);
		return pr_err_ret(r, "can't make a pipe for %s", argv[0]);
	}
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return pr_err_ret(r, "can't run %s", argv[0]);
	}
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		/* root's PATH may lack the sbin directories the tools live in */
		for (const char *dir = "/usr/sbin/\0/sbin/\0"; *dir; dir += strlen(dir) + 1) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s%s", dir, argv[0]);
			execv(path, argv);
		}
		dprintf(2, "can't run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	/*
	 * The tools read all their input before they say anything, so the
	 * output pipe can't fill while we write.  A tool that died early
	 * must not kill criu with SIGPIPE.
	 */
	sigaction(SIGPIPE, &(struct sigaction){ .sa_handler = SIG_IGN }, &old_pipe);
	for (size_t off = 0, len = strlen(input); off < len; off += n) {
		n = write(in[1], input + off, len - off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0)
			break;
	}
	close(in[1]);
	sigaction(SIGPIPE, &old_pipe, NULL);
	while ((n = read(out[0], buf + got, sizeof(buf) - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += n;
		if (got == sizeof(buf) - 1)
			got = 0; /* keep the end */
	}
	buf[got] = '\0';
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pr_err_ret(-errno, "can't wait for %s", argv[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		pr_debug("%s: ok%s%s", argv[0], got ? ": " : "\n", buf);
		return 0;
	}
	if (quiet)
		pr_warn("%s failed: %s%s", argv[0], buf, got ? "" : "\n");
	else
		pr_err("%s failed (%s %d): %s%s", argv[0], WIFEXITED(status) ? "status" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), buf, got ? "" : "\n");
	pr_debug("%s input was:\n%s", argv[0], input);
	return -EIO;
}

/* ------------------------------------------------------------ iptables */

/* Append the two rules of @c ("-I" to lock, "-D" to unlock) to @buf. */
static void ipt_rules(const struct net_conn *c, const char *act, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	size_t off = strlen(buf);

	inet_ntop(c->family, c->src, s, sizeof(s));
	inet_ntop(c->family, c->dst, d, sizeof(d));
	/* Coming in: from the peer to us. */
	off += snprintf(buf + off, len - off,
			"%s INPUT --protocol tcp -m mark ! --mark " SOCCR_MARK
			" --source %s --sport %u --destination %s --dport %u -j DROP\n",
			act, d, c->dport, s, c->sport);
	/* Going out: from us to the peer. */
	snprintf(buf + off, len - off,
		 "%s OUTPUT --protocol tcp -m mark ! --mark " SOCCR_MARK
		 " --source %s --sport %u --destination %s --dport %u -j DROP\n",
		 act, s, c->sport, d, c->dport);
}

/*
 * Add (@lock) or remove the rules of @n connections: one iptables-restore
 * and one ip6tables-restore run at most, each all or nothing.
 */
static int ipt_apply(const struct net_conn *cs, size_t n, bool lock, bool quiet)
{
	static const int families[] = { AF_INET, AF_INET6 };
	const size_t per = 512;
	int r = 0;

	for (size_t f = 0; !r && f < ARRAY_SIZE(families); f++) {
		char *argv[] = { families[f] == AF_INET6 ? "ip6tables-restore" : "iptables-restore", "-w", "--noflush",
				 NULL };
		size_t len = n * per + 32, k = 0;
		_cleanup_free_ char *buf = xmalloc(len);

		if (!buf)
			return -ENOMEM;
		snprintf(buf, len, "*filter\n");
		for (size_t i = 0; i < n; i++) {
			struct net_conn w = wire_conn(&cs[i]);

			if (w.family != families[f])
				continue;
			ipt_rules(&w, lock ? "-I" : "-D", buf, len);
			k++;
		}
		if (!k)
			continue;
		strncat(buf, "COMMIT\n", len - strlen(buf) - 1);
		r = run_tool(argv, buf, quiet);
	}
	return r;
}

/* ------------------------------------------------------------ nftables */

static int nft_run(const char *cmds, bool quiet)
{
	char *argv[] = { "nft", "-f", "-", NULL };

	return run_tool(argv, cmds, quiet);
}

static int nft_make_table(void)
{
	char buf[2048];
	const char *t = nl.table;

	snprintf(buf, sizeof(buf),
		 "create table %s\n"
		 "add chain %s output { type filter hook output priority 0; }\n"
		 "add rule %s output meta mark " SOCCR_MARK " accept\n"
		 "add chain %s input { type filter hook input priority 0; }\n"
		 "add rule %s input meta mark " SOCCR_MARK " accept\n"
		 "add set %s conns4 { type ipv4_addr . inet_service . ipv4_addr . inet_service; }\n"
		 "add rule %s output ip saddr . tcp sport . ip daddr . tcp dport @conns4 drop\n"
		 "add rule %s input ip saddr . tcp sport . ip daddr . tcp dport @conns4 drop\n"
		 "add set %s conns6 { type ipv6_addr . inet_service . ipv6_addr . inet_service; }\n"
		 "add rule %s output ip6 saddr . tcp sport . ip6 daddr . tcp dport @conns6 drop\n"
		 "add rule %s input ip6 saddr . tcp sport . ip6 daddr . tcp dport @conns6 drop\n",
		 t, t, t, t, t, t, t, t, t, t, t);
	return nft_run(buf, false);
}

static int nft_lock(const struct net_conn *cs, size_t n)
{
	const size_t per = 2 * (64 + 2 * INET6_ADDRSTRLEN);
	size_t len = n * per + 1, off = 0;
	_cleanup_free_ char *buf = NULL;
	int r;

	if (!nl.nft_made) {
		r = nft_make_table();
		if (r)
			return r;
		nl.nft_made = true;
	}
	buf = xmalloc(len);
	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct net_conn w = wire_conn(&cs[i]);
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
		char v = w.family == AF_INET6 ? '6' : '4';

		inet_ntop(w.family, w.src, s, sizeof(s));
		inet_ntop(w.family, w.dst, d, sizeof(d));
		/* Both directions: the peer's packets to us, ours to the peer. */
		off += snprintf(buf + off, len - off,
				"add element %s conns%c { %s . %u . %s . %u }\n"
				"add element %s conns%c { %s . %u . %s . %u }\n",
				nl.table, v, d, w.dport, s, w.sport, nl.table, v, s, w.sport, d, w.dport);
	}
	return nft_run(buf, false);
}

static int nft_unlock_all(bool quiet)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "delete table %s\n", nl.table);
	return nft_run(buf, quiet);
}

/* ------------------------------------------------------------ common */

static bool remembered(const struct net_conn *c)
{
	for (size_t i = 0; i < nl.nr; i++)
		if (!memcmp(&nl.conns[i], c, sizeof(*c)))
			return true;
	return false;
}

static int remember(const struct net_conn *c)
{
	if (nl.nr == nl.max) {
		size_t n = nl.max ? nl.max * 2 : 16;
		struct net_conn *p = xrealloc(nl.conns, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		nl.conns = p;
		nl.max = n;
	}
	nl.conns[nl.nr++] = *c;
	return 0;
}

static const char *method_name(uint32_t m)
{
	switch (m) {
	case INVENTORY_NETLOCK_IPTABLES:
		return "iptables";
	case INVENTORY_NETLOCK_NFTABLES:
		return "nftables";
	case INVENTORY_NETLOCK_SKIP:
		return "skip";
	}
	return "unknown";
}

/* Lift the lock of every remembered connection; 0 or the first error. */
static int unlock_all(bool quiet)
{
	char what[128];
	int r = 0, e;

	switch (nl.method) {
	case INVENTORY_NETLOCK_IPTABLES:
		if (nl.nr && !ipt_apply(nl.conns, nl.nr, false, true)) {
			pr_info("unlocked %zu connections\n", nl.nr);
			break;
		}
		/* One rule missing fails the whole batch: each connection alone. */
		for (size_t i = 0; i < nl.nr; i++) {
			e = ipt_apply(&nl.conns[i], 1, false, quiet);
			if (e)
				pr_warn("connection %s: its iptables lock could not be removed\n",
					net_conn_str(&nl.conns[i], what, sizeof(what)));
			else
				pr_info("unlocked %s\n", net_conn_str(&nl.conns[i], what, sizeof(what)));
			r = r ?: e;
		}
		break;
	case INVENTORY_NETLOCK_NFTABLES:
		if (nl.nr) {
			r = nft_unlock_all(quiet);
			if (r)
				pr_warn("the nftables table %s could not be removed\n", nl.table);
			else
				pr_info("removed nftables table %s\n", nl.table);
		}
		break;
	default:
		break;
	}
	free(nl.conns);
	nl.conns = NULL;
	nl.nr = nl.max = 0;
	nl.nft_made = false;
	return r;
}

/* ------------------------------------------------------------ dump */

/* The first connection to lock: choose the method, run the network-lock scripts. */
static int lock_setup(void)
{
	int r;

	nl.method = opts.network_lock_method == NETWORK_LOCK_NFTABLES ? INVENTORY_NETLOCK_NFTABLES
		    : opts.network_lock_method == NETWORK_LOCK_SKIP   ? INVENTORY_NETLOCK_SKIP
								      : INVENTORY_NETLOCK_IPTABLES;
	snprintf(nl.table, sizeof(nl.table), "inet CRIU-%s", criu_run_id());
	pr_info("network lock: %s\n", method_name(nl.method));
	r = run_scripts(ACT_NET_LOCK, opts.tree_id);
	if (r)
		return r;
	nl.locking = true;
	return 0;
}

int net_lock_connections(const struct net_conn *cs, size_t n)
{
	_cleanup_free_ struct net_conn *todo = xmalloc((n ?: 1) * sizeof(*todo));
	char what[128];
	size_t k = 0;
	int r = 0;

	if (!todo)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!remembered(&cs[i]))
			todo[k++] = cs[i];
	if (!k)
		return 0;
	if (!nl.locking) {
		r = lock_setup();
		if (r)
			return r;
	}
	switch (nl.method) {
	case INVENTORY_NETLOCK_IPTABLES:
		r = ipt_apply(todo, k, true, false);
		break;
	case INVENTORY_NETLOCK_NFTABLES:
		r = nft_lock(todo, k);
		break;
	default:
		break;
	}
	if (r) {
		pr_err("can't lock %s%s with %s (see above); --network-lock chooses the method\n",
		       k > 1 ? "connections like " : "connection ", net_conn_str(&todo[0], what, sizeof(what)),
		       method_name(nl.method));
		return r;
	}
	for (size_t i = 0; i < k; i++) {
		pr_info("%s %s (%s)\n", nl.method == INVENTORY_NETLOCK_SKIP ? "not locked (skip):" : "locked",
			net_conn_str(&todo[i], what, sizeof(what)), method_name(nl.method));
		r = remember(&todo[i]);
		if (r)
			return r;
	}
	return 0;
}

int net_lock_connection(const struct net_conn *c)
{
	return net_lock_connections(c, 1);
}

void network_dump_end(int r)
{
	bool locking = nl.locking;

	nl.locking = false;
	if (!locking)
		return;
	if (!r && !opts.leave_running) {
		/* The tree is killed or left stopped: the lock waits for the restore. */
		pr_info("%zu connections stay locked for the restore\n", nl.nr);
		free(nl.conns);
		nl.conns = NULL;
		nl.nr = nl.max = 0;
		return;
	}
	tcp_dump_repair_off();
	unlock_all(false);
	if (run_scripts(ACT_NET_UNLOCK, opts.tree_id))
		pr_err("the network-unlock script failed\n");
}

/* ------------------------------------------------------------ restore */

void net_unlock_setup(uint32_t method, const char *run_id)
{
	nl.method = method;
	snprintf(nl.table, sizeof(nl.table), "inet CRIU-%s", run_id ?: "");
	if (method == INVENTORY_NETLOCK_NFTABLES && (!run_id || !*run_id))
		pr_warn("the inventory has no dump run id: the nftables lock table can't be named\n");
}

int net_unlock_add(const struct net_conn *c)
{
	return remember(c);
}

int network_unlock_restore(pid_t pid)
{
	bool locked = nl.nr > 0;
	int r;

	if (locked) {
		pr_info("unlocking %zu connections (%s)\n", nl.nr, method_name(nl.method));
		unlock_all(true);
	}
	/* Only now may the connections send: nothing they send is dropped any more. */
	r = inet_resume_connections();
	if (r)
		pr_err("a restored connection can't be resumed\n");
	if (locked && run_scripts(ACT_NET_UNLOCK, pid))
		pr_err("the network-unlock script failed: the restore goes on\n");
	return r;
}

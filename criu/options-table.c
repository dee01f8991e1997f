/*
 * What criu's commands and options are: the command names, the table of
 * option descriptors (opt_table[]) and the few options whose values need
 * code of their own (verbosity, cpu-cap, ...) or a syntax check.
 *
 * opt_table[] is the only list of criu's options: the command line, config
 * files, --help, --help-markdown (the man page's option list) and later RPC
 * requests all read it (options.c, config.c).  Adding an option is adding a
 * row here and a field in struct cr_options.
 *
 * A row marked OPT_UNBUILT belongs to a feature that is not built yet: the
 * option is parsed and stored, and opts_refuse_unbuilt() makes a command it
 * applies to (.cmds) fail with "--NAME is not supported yet" instead of
 * ignoring it.  Remove the flag in the commit that makes the feature work.
 */
#include <limits.h>
#include <sched.h>

#include "cr_options.h"
#include "log.h"

/* ---------------------------------------------------------------- commands */

struct cmd_desc {
	const char *name;
	const char *help;
};

static const struct cmd_desc commands[CMD_MAX] = {
	[CMD_DUMP] = { "dump",
		       "checkpoint the tree rooted at -t PID into the images dir (the tree is killed unless -R)" },
	[CMD_PRE_DUMP] = { "pre-dump", "copy the tree's memory while it keeps running, for a later incremental dump" },
	[CMD_RESTORE] = { "restore", "recreate the tree saved in the images dir" },
	[CMD_CHECK] = { "check", "check that this kernel has what checkpoint/restore needs" },
	[CMD_PAGE_SERVER] = { "page-server", "receive pages over TCP from a remote 'dump --page-server'" },
	[CMD_LAZY_PAGES] = { "lazy-pages", "serve pages on demand to a restored tree (userfaultfd)" },
	[CMD_SERVICE] = { "service", "answer RPC requests on a unix socket" },
	[CMD_SWRK] = { "swrk", "answer RPC requests on an inherited socket: criu swrk FD" },
	[CMD_DEDUP] = { "dedup", "shrink a chain of incremental images" },
	[CMD_CPUINFO_DUMP] = { "cpuinfo dump", "record this CPU's features in the images dir" },
	[CMD_CPUINFO_CHECK] = { "cpuinfo check", "compare this CPU's features with those in the images dir" },
};

const char *cr_command_name(enum cr_command cmd)
{
	if (cmd <= CMD_NONE || cmd >= CMD_MAX)
		return "(none)";
	return commands[cmd].name;
}

const char *cr_command_help(enum cr_command cmd)
{
	if (cmd <= CMD_NONE || cmd >= CMD_MAX)
		return "";
	return commands[cmd].help;
}

enum cr_command cr_command_lookup(const char *word)
{
	for (int c = CMD_NONE + 1; c < CMD_MAX; c++)
		if (!strcmp(word, commands[c].name))
			return c;
	return CMD_NONE;
}

bool cr_is_command_word(const char *word)
{
	return cr_command_lookup(word) != CMD_NONE || !strcmp(word, "cpuinfo") || !strcmp(word, "exec") ||
	       !strcmp(word, "show");
}

/* ------------------------------------------------- special value handlers */

static int set_verbosity(struct cr_options *o, const char *arg, bool neg, const struct opt_origin *from,
			 const char **why)
{
	long long n;

	if (!arg) {
		n = o->log_level + 1; /* -v, --verbosity */
	} else if (arg[0] == 'v' && strspn(arg, "v") == strlen(arg)) {
		n = o->log_level + 1 + (long long)strlen(arg); /* -vv: getopt hands us "v" */
	} else if (opt_parse_int(arg, 0, LLONG_MAX, &n)) {
		*why = "expected a level from 0 to 4, or -v, -vv...";
		return -EINVAL;
	}
	o->log_level = n > LOG_DEBUG ? LOG_DEBUG : (int)n;
	return 0;
}

static const struct {
	const char *word;
	int bits;
} cpu_cap_words[] = {
	{ "fpu", CPU_CAP_FPU }, { "cpu", CPU_CAP_CPU }, { "ins", CPU_CAP_INS }, { "all", CPU_CAP_ALL }, { "none", 0 },
};

/*
 * --cpu-cap=[^]WORD[,[^]WORD...]: as CRIU, each word adds to the current
 * set, "^word" takes it away, "none" empties the set ("none,fpu": only fpu).
 */
static int set_cpu_cap(struct cr_options *o, const char *arg, bool neg, const struct opt_origin *from, const char **why)
{
	int caps = o->cpu_cap;
	const char *p = arg ? arg : "all";

	while (*p) {
		bool inverse = false;
		size_t len, i;

		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '^') {
			inverse = true;
			p++;
		}
		len = strcspn(p, ",");
		for (i = 0; i < ARRAY_SIZE(cpu_cap_words); i++)
			if (strlen(cpu_cap_words[i].word) == len && !strncmp(p, cpu_cap_words[i].word, len))
				break;
		if (i == ARRAY_SIZE(cpu_cap_words)) {
			*why = "expected a list of fpu, cpu, ins, all, none (each may start with ^)";
			return -EINVAL;
		}
		if (!cpu_cap_words[i].bits)
			caps = inverse ? CPU_CAP_ALL : CPU_CAP_NONE;
		else if (inverse)
			caps &= ~cpu_cap_words[i].bits;
		else
			caps |= cpu_cap_words[i].bits;
		p += len;
	}
	o->cpu_cap = caps;
	return 0;
}

static void show_cpu_cap(const struct cr_options *o, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t i = 0; i < 3; i++)
		if (o->cpu_cap & cpu_cap_words[i].bits)
			off += snprintf(buf + off, len - off, "%s%s", off ? "," : "", cpu_cap_words[i].word);
	if (!off)
		snprintf(buf, len, "none");
}

static int set_check_all(struct cr_options *o, const char *arg, bool neg, const struct opt_origin *from,
			 const char **why)
{
	o->check_all = o->check_extra_features = o->check_experimental_features = true;
	return 0;
}

/* Only digits, commas between them: "12,34". */
static bool is_number_list(const char *s)
{
	bool digit = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = true;
		else if (*s == ',' && digit)
			digit = false;
		else
			return false;
	}
	return digit;
}

/* -x[ID,...]: allow external unix sockets, optionally only these inodes. */
static int set_ext_unix_sk(struct cr_options *o, const char *arg, bool neg, const struct opt_origin *from,
			   const char **why)
{
	if (neg) {
		o->ext_unix_sk = false;
		return 0;
	}
	if (arg) {
		if (!is_number_list(arg)) {
			*why = "expected socket inode numbers separated by commas";
			return -EINVAL;
		}
		if (opt_list_add(&o->ext_unix_sk_ids, arg, from))
			return -ENOMEM;
	}
	o->ext_unix_sk = true;
	return 0;
}

static int set_empty_ns(struct cr_options *o, const char *arg, bool neg, const struct opt_origin *from,
			const char **why)
{
	if (strcmp(arg, "net")) {
		*why = "only 'net' can be restored empty";
		return -EINVAL;
	}
	o->empty_ns |= CLONE_NEWNET;
	return 0;
}

static void show_empty_ns(const struct cr_options *o, char *buf, size_t len)
{
	snprintf(buf, len, "%s", o->empty_ns & CLONE_NEWNET ? "net" : "none");
}

/* ------------------------------------------------- argument syntax checks */

/* fd[N]:RESOURCE */
static const char *check_inherit_fd(const char *arg)
{
	const char *p = arg;

	if (strncmp(p, "fd[", 3))
		goto bad;
	p += 3;
	if (!(*p >= '0' && *p <= '9'))
		goto bad;
	if (strspn(p, "0123456789") > 10 || strtoll(p, NULL, 10) > INT_MAX)
		return "the fd number is too large";
	p += strspn(p, "0123456789");
	if (strncmp(p, "]:", 2) || !p[2])
		goto bad;
	return NULL;
bad:
	return "expected fd[N]:RESOURCE";
}

/* NS:PID-or-PATH[,EXTRA] with NS one of the namespaces that can be joined */
static const char *check_join_ns(const char *arg)
{
	static const char *const joinable[] = { "ipc", "net", "time", "user", "uts" };
	const char *colon = strchr(arg, ':');

	if (!colon || !colon[1] || colon[1] == ',')
		return "expected NS:PID-or-PATH[,EXTRA]";
	for (size_t i = 0; i < ARRAY_SIZE(joinable); i++)
		if (strlen(joinable[i]) == (size_t)(colon - arg) && !strncmp(arg, joinable[i], colon - arg))
			return NULL;
	return "the namespace must be one of ipc, net, time, user, uts";
}

/* IN=OUT[@BRIDGE] */
static const char *check_veth_pair(const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1])
		return "expected IN=OUT";
	return NULL;
}

/* TYPE[ID]... with a type CRIU's --external knows */
static const char *check_external(const char *arg)
{
	static const char *const types[] = { "mnt", "dev", "file", "tty", "unix", "net", "pid", "veth", "macvlan" };
	const char *br = strchr(arg, '[');

	if (!br || !strchr(br, ']'))
		return "expected TYPE[ID]:VALUE";
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (strlen(types[i]) == (size_t)(br - arg) && !strncmp(arg, types[i], br - arg))
			return NULL;
	return "TYPE must be one of mnt, dev, file, tty, unix, net, pid, veth, macvlan";
}

/* KEY:VALUE or auto */
static const char *check_ext_mount_map(const char *arg)
{
	const char *colon = strchr(arg, ':');

	if (!strcmp(arg, "auto"))
		return NULL;
	if (!colon || colon == arg)
		return "expected KEY:VALUE or 'auto'";
	return NULL;
}

/* [CTRL:]PATH */
static const char *check_cgroup_root(const char *arg)
{
	const char *colon = strchr(arg, ':');

	if (colon && !colon[1])
		return "expected [CONTROLLER:]PATH";
	return NULL;
}

/* ---------------------------------------------------------------- the table */

static const char *const cg_mode_words[] = { "ignore", "none", "props", "soft", "full", "strict", NULL };
static const char *const netlock_words[] = { "iptables", "nftables", "skip", NULL };
static const char *const pre_dump_words[] = { "splice", "read", NULL };
static const char *const file_val_words[] = { "filesize", "buildid", NULL };

const char *const opt_group_title[GRP_MAX] = {
	[GRP_COMMON] = "Common options",
	[GRP_LOG] = "Logging",
	[GRP_CONFIG] = "Configuration files",
	[GRP_DUMP] = "Dump and pre-dump",
	[GRP_RESTORE] = "Restore",
	[GRP_CR] = "Dump and restore",
	[GRP_CHECK] = "Check",
	[GRP_SERVER] = "Page server, lazy pages, service",
	[GRP_OTHER] = "Other",
};

/* Compile-time check that a row's field has the type its kind stores. */
#define BUILD_BUG_ON_ZERO(e) (sizeof(struct { int : (-!!(e)); }))
#define FIELD(f, type)                    \
	(offsetof(struct cr_options, f) + \
	 BUILD_BUG_ON_ZERO(!__builtin_types_compatible_p(typeof(((struct cr_options *)0)->f), type)))

#define BOOL(f)		  .kind = OPT_BOOL, .arg = ARG_NONE, .offset = FIELD(f, bool)
#define BOOL_OPTARG(f)	  .kind = OPT_BOOL, .arg = ARG_OPTIONAL, .offset = FIELD(f, bool)
#define FLAG(f)		  .kind = OPT_FLAG, .arg = ARG_NONE, .offset = FIELD(f, bool)
#define INT(f, lo, hi)	  .kind = OPT_INT, .arg = ARG_REQUIRED, .offset = FIELD(f, int), .min = (lo), .max = (hi)
#define INT_OPTARG(f)	  .kind = OPT_INT, .arg = ARG_OPTIONAL, .offset = FIELD(f, int)
#define SIZE(f, lo, hi)	  .kind = OPT_SIZE, .arg = ARG_REQUIRED, .offset = FIELD(f, uint64_t), .min = (lo), .max = (hi)
#define STR(f)		  .kind = OPT_STRING, .arg = ARG_REQUIRED, .offset = FIELD(f, char *)
#define PATH(f)		  .kind = OPT_PATH, .arg = ARG_REQUIRED, .offset = FIELD(f, char *)
#define ENUM(f, w)	  .kind = OPT_ENUM, .arg = ARG_REQUIRED, .offset = FIELD(f, int), .words = (w)
#define ENUM_OPTARG(f, w) .kind = OPT_ENUM, .arg = ARG_OPTIONAL, .offset = FIELD(f, int), .words = (w)
#define LIST(f)		  .kind = OPT_LIST, .arg = ARG_REQUIRED, .offset = FIELD(f, struct opt_list)

#define ALL	 CMDS_ALL
#define DUMPS	 CMDS_DUMP
#define CR	 CMDS_CR
#define RST	 CMD_BIT(CMD_RESTORE)
#define CHK	 CMD_BIT(CMD_CHECK)
#define SERVERS	 (CMDS_PS | CMD_BIT(CMD_SERVICE))
#define CPUINFO	 (CMD_BIT(CMD_CPUINFO_DUMP) | CMD_BIT(CMD_CPUINFO_CHECK))
#define UNBUILT	 OPT_UNBUILT
#define CLI_ONLY OPT_CLI_ONLY

const struct opt_desc opt_table[] = {
	/* Common */
	{ "images-dir", 'D', PATH(imgs_dir), .cmds = ALL, .group = GRP_COMMON, .rpc = "images_dir_fd", .argname = "DIR",
	  .help = "directory of the image files (default: the current directory)" },
	{ "work-dir", 'W', PATH(work_dir), .cmds = ALL, .group = GRP_COMMON, .rpc = "work_dir_fd", .argname = "DIR",
	  .help = "directory for the log, pidfile and stats (default: the images dir)" },
	{ "prev-images-dir", 0, PATH(img_parent), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_COMMON,
	  .rpc = "parent_img", .argname = "DIR",
	  .help = "images of the previous (pre-)dump, relative to the images dir: write only what changed" },
	{ "pidfile", 0, PATH(pidfile), .cmds = RST | SERVERS, .group = GRP_COMMON, .argname = "FILE",
	  .help = "write the pid of the restored root task or of the daemon to FILE" },
	{ "display-stats", 0, BOOL(display_stats), .cmds = CR, .group = GRP_COMMON, .rpc = "display_stats",
	  .help = "print the dump or restore statistics at the end" },
	{ "action-script", 0, LIST(scripts), .cmds = CR, .group = GRP_COMMON, .argname = "SCRIPT",
	  .help = "run SCRIPT at each stage, its name in $CRTOOLS_SCRIPT_ACTION" },
	{ "unprivileged", 0, BOOL(unprivileged), .cmds = CR | CHK, .flags = UNBUILT, .group = GRP_COMMON,
	  .rpc = "unprivileged", .help = "run with CAP_CHECKPOINT_RESTORE only, accepting what that cannot do" },
	{ "stream", 0, BOOL(stream), .cmds = CR, .flags = UNBUILT, .group = GRP_COMMON,
	  .help = "read or write the images through criu-image-streamer" },

	/* Logging */
	{ "verbosity", 'v', INT_OPTARG(log_level), .set = set_verbosity, .cmds = ALL, .group = GRP_LOG,
	  .rpc = "log_level", .argname = "N",
	  .help = "log level: -v one more, -vv two more, -vN or --verbosity=N sets it (0-4, default 2)" },
	{ "log-file", 'o', PATH(output), .cmds = ALL, .group = GRP_LOG, .rpc = "log_file", .argname = "FILE",
	  .help = "log to FILE, relative to the work dir ('-': stderr, the default)" },
	{ "log-pid", 0, BOOL(log_file_per_pid), .cmds = RST, .group = GRP_LOG,
	  .help = "one log file per restored process: FILE.PID" },

	/* Configuration files */
	{ "config", 0, LIST(config_files), .cmds = ALL, .flags = CLI_ONLY, .group = GRP_CONFIG, .rpc = "config_file",
	  .argname = "FILE", .help = "read options from FILE (and not the default config files)" },
	{ "no-default-config", 0, FLAG(no_default_config), .cmds = ALL, .flags = CLI_ONLY, .group = GRP_CONFIG,
	  .help = "do not read /etc/criu/default.conf nor ~/.criu/default.conf" },

	/* Dump and pre-dump */
	{ "tree", 't', INT(tree_id, 1, INT_MAX), .cmds = DUMPS, .group = GRP_DUMP, .rpc = "pid", .argname = "PID",
	  .help = "checkpoint the tree whose root is PID" },
	{ "leave-running", 'R', BOOL(leave_running), .cmds = DUMPS, .group = GRP_DUMP, .rpc = "leave_running",
	  .help = "let the tree run on after the dump" },
	{ "track-mem", 0, BOOL(track_mem), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP, .rpc = "track_mem",
	  .help = "track memory changes for a later incremental dump" },
	{ "pre-dump-mode", 0, ENUM(pre_dump_mode, pre_dump_words), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP,
	  .rpc = "pre_dump_mode", .argname = "MODE",
	  .help = "how pre-dump copies memory: splice (parasite, default) or read (process_vm_readv)" },
	{ "page-server", 0, BOOL(use_page_server), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP, .rpc = "ps",
	  .help = "send pages to the page server at --address/--port instead of the images dir" },
	{ "freeze-cgroup", 0, PATH(freeze_cgroup), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP,
	  .rpc = "freeze_cgroup", .argname = "PATH",
	  .help = "freeze the tree with the cgroup freezer instead of ptrace" },
	{ "timeout", 0, INT(timeout, 1, INT_MAX), .cmds = DUMPS, .group = GRP_DUMP, .rpc = "timeout",
	  .argname = "SECONDS", .help = "time allowed to freeze the tree (default 10)" },
	{ "ghost-limit", 0, SIZE(ghost_limit, 0, LLONG_MAX), .cmds = DUMPS, .group = GRP_DUMP, .rpc = "ghost_limit",
	  .argname = "SIZE", .help = "largest deleted file carried in the images (default 1M; K, M, G suffixes)" },
	{ "ghost-fiemap", 0, BOOL(ghost_fiemap), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP,
	  .help = "carry sparse deleted files by their extents (FIEMAP)" },
	{ "irmap-scan-path", 0, LIST(irmap_scan_paths), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP,
	  .rpc = "irmap_scan_paths", .argname = "DIR",
	  .help = "where to look for the files of inotify/fanotify watches" },
	{ "force-irmap", 0, BOOL(force_irmap), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP, .rpc = "force_irmap",
	  .help = "find the paths of inotify/fanotify watches even when not needed" },
	{ "evasive-devices", 0, BOOL(evasive_devices), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP,
	  .rpc = "evasive_devices", .help = "accept any path to a device file whose original path is gone" },
	{ "allow-uprobes", 0, BOOL(allow_uprobes), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP,
	  .help = "dump tasks that have uprobes set" },
	{ "cgroup-dump-controller", 0, LIST(cgroup_dump_controllers), .cmds = DUMPS, .flags = UNBUILT,
	  .group = GRP_DUMP, .rpc = "cgroup_dump_controller", .argname = "NAME",
	  .help = "dump this cgroup controller" },
	{ "cgroup-props", 0, STR(cgroup_props), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP,
	  .rpc = "cgroup_props", .argname = "YAML", .help = "cgroup properties to dump" },
	{ "cgroup-props-file", 0, PATH(cgroup_props_file), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP,
	  .rpc = "cgroup_props_file", .argname = "FILE", .help = "cgroup properties to dump, from FILE" },
	{ "skip-mnt", 0, LIST(skip_mnt), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP, .rpc = "skip_mnt",
	  .argname = "PATH", .help = "do not dump the mount at PATH" },
	{ "enable-fs", 0, LIST(enable_fs), .cmds = DUMPS, .flags = UNBUILT, .group = GRP_DUMP, .rpc = "enable_fs",
	  .argname = "FS[,FS...]", .help = "dump mounts of these filesystems ('all': any) as auto-mounted" },

	/* Restore */
	{ "restore-detached", 'd', BOOL(restore_detach), .cmds = RST, .group = GRP_RESTORE,
	  .help = "exit once the tree runs, instead of waiting as its parent" },
	{ "restore-sibling", 'S', BOOL(restore_sibling), .cmds = RST, .group = GRP_RESTORE, .rpc = "rst_sibling",
	  .help = "restore the root task as criu's sibling (needs -d)" },
	{ "root", 'r', PATH(root), .cmds = RST, .flags = UNBUILT, .group = GRP_RESTORE, .rpc = "root",
	  .argname = "PATH", .help = "root filesystem of the restored tree" },
	{ "inherit-fd", 0, LIST(inherit_fds), .check = check_inherit_fd, .cmds = RST, .flags = UNBUILT,
	  .group = GRP_RESTORE, .rpc = "inherit_fd", .argname = "fd[N]:RESOURCE",
	  .help = "use criu's fd N for this external resource of the images" },
	{ "join-ns", 'J', LIST(join_ns), .check = check_join_ns, .cmds = RST, .flags = UNBUILT, .group = GRP_RESTORE,
	  .rpc = "join_ns", .argname = "NS:PID|PATH[,EXTRA]",
	  .help = "restore into an existing ipc, net, time, user or uts namespace" },
	{ "veth-pair", 0, LIST(veth_pairs), .check = check_veth_pair, .cmds = RST, .flags = UNBUILT,
	  .group = GRP_RESTORE, .rpc = "veths", .argname = "IN=OUT",
	  .help = "name the outer end of a restored veth (like --external veth[IN]:OUT)" },
	{ "weak-sysctls", 0, BOOL(weak_sysctls), .cmds = RST, .flags = UNBUILT, .group = GRP_RESTORE,
	  .rpc = "weak_sysctls", .help = "skip sysctls this kernel does not have" },
	{ "lsm-profile", 0, STR(lsm_profile), .cmds = RST, .flags = UNBUILT, .group = GRP_RESTORE, .rpc = "lsm_profile",
	  .argname = "TYPE:NAME", .help = "restore the tasks with this LSM profile" },
	{ "lsm-mount-context", 0, STR(lsm_mount_context), .cmds = RST, .flags = UNBUILT, .group = GRP_RESTORE,
	  .rpc = "lsm_mount_context", .argname = "CTX", .help = "mount restored filesystems with this LSM context" },
	{ "mntns-compat-mode", 0, BOOL(mntns_compat_mode), .cmds = RST, .flags = UNBUILT, .group = GRP_RESTORE,
	  .rpc = "mntns_compat_mode", .help = "restore mount namespaces the old way" },
	{ "empty-ns", 0, INT(empty_ns, 0, INT_MAX), .set = set_empty_ns, .show = show_empty_ns, .cmds = RST,
	  .flags = UNBUILT, .group = GRP_RESTORE, .rpc = "empty_ns", .argname = "net",
	  .help = "create the namespace empty: the caller sets it up (action script)" },
	{ "exec-cmd", 0, FLAG(exec_cmd), .cmds = RST, .flags = UNBUILT | CLI_ONLY, .group = GRP_RESTORE,
	  .rpc = "exec_cmd", .help = "run the program given after the command (after --) as the tree's parent" },
	{ "cgroup-yard", 0, PATH(cgroup_yard), .cmds = CR, .flags = UNBUILT, .group = GRP_RESTORE, .rpc = "cgroup_yard",
	  .argname = "PATH", .help = "use this mounted cgroup hierarchy as the cgroup yard" },

	/* Dump and restore */
	{ "leave-stopped", 's', BOOL(leave_stopped), .cmds = CR, .group = GRP_CR, .rpc = "leave_stopped",
	  .help = "leave the tree stopped (SIGSTOP) after dump or restore" },
	{ "shell-job", 'j', BOOL(shell_job), .cmds = CR, .group = GRP_CR, .rpc = "shell_job",
	  .help = "the tree is a shell job (shares session and tty); give it to dump and restore" },
	{ "file-locks", 'l', BOOL(handle_file_locks), .cmds = CR, .group = GRP_CR, .rpc = "file_locks",
	  .help = "dump and restore file locks" },
	{ "tcp-established", 0, BOOL(tcp_established_ok), .cmds = CR, .group = GRP_CR, .rpc = "tcp_established",
	  .help = "dump and restore established TCP connections" },
	{ "tcp-close", 0, BOOL(tcp_close), .cmds = CR, .group = GRP_CR, .rpc = "tcp_close",
	  .help = "restore connected TCP sockets closed (wins over --tcp-established)" },
	{ "skip-in-flight", 0, BOOL(tcp_skip_in_flight), .cmds = CR, .group = GRP_CR, .rpc = "tcp_skip_in_flight",
	  .help = "ignore half-open TCP connections" },
	{ "ext-unix-sk", 'x', BOOL_OPTARG(ext_unix_sk), .set = set_ext_unix_sk, .cmds = CR, .group = GRP_CR,
	  .rpc = "ext_unix_sk", .argname = "INODE,...",
	  .help = "allow unix sockets connected to peers outside the tree" },
	{ "link-remap", 0, BOOL(link_remap_ok), .cmds = CR, .flags = UNBUILT, .group = GRP_CR, .rpc = "link_remap",
	  .help = "allow linking deleted files back into the filesystem" },
	{ "file-validation", 0, ENUM(file_validation_method, file_val_words), .cmds = CR, .group = GRP_CR,
	  .argname = "MODE", .help = "check files on restore by filesize or buildid (default buildid)" },
	{ "external", 0, LIST(external), .check = check_external, .cmds = CR, .flags = UNBUILT, .group = GRP_CR,
	  .rpc = "external", .argname = "TYPE[ID]:VALUE",
	  .help = "declare an external resource: mnt, dev, file, tty, unix, net, pid, veth" },
	{ "ext-mount-map", 'M', LIST(ext_mounts), .check = check_ext_mount_map, .cmds = CR, .flags = UNBUILT,
	  .group = GRP_CR, .rpc = "ext_mnt", .argname = "KEY:VALUE",
	  .help = "map an external mount ('auto': detect them; old form of --external mnt)" },
	{ "enable-external-sharing", 0, BOOL(enable_external_sharing), .cmds = CR, .flags = UNBUILT, .group = GRP_CR,
	  .rpc = "ext_sharing", .help = "allow external mounts shared with the outside" },
	{ "enable-external-masters", 0, BOOL(enable_external_masters), .cmds = CR, .flags = UNBUILT, .group = GRP_CR,
	  .rpc = "ext_masters", .help = "allow external mounts slave to the outside" },
	{ "manage-cgroups", 0, ENUM_OPTARG(manage_cgroups, cg_mode_words), .noarg = "soft", .cmds = CR,
	  .flags = UNBUILT, .group = GRP_CR, .rpc = "manage_cgroups_mode", .argname = "MODE",
	  .help = "cgroups on restore: none, props, soft (default), full, strict, ignore" },
	{ "cgroup-root", 0, LIST(new_cgroup_roots), .check = check_cgroup_root, .cmds = CR, .flags = UNBUILT,
	  .group = GRP_CR, .rpc = "cg_root", .argname = "[CTRL:]PATH",
	  .help = "restore the tree's cgroups under PATH" },
	{ "lazy-pages", 0, BOOL(lazy_pages), .cmds = CR, .flags = UNBUILT, .group = GRP_CR, .rpc = "lazy_pages",
	  .help = "dump without the pages, restore them on demand" },
	{ "auto-dedup", 0, BOOL(auto_dedup), .cmds = CR, .flags = UNBUILT, .group = GRP_CR, .rpc = "auto_dedup",
	  .help = "free pages of the parent images as they are written or read" },
	{ "network-lock", 0, ENUM(network_lock_method, netlock_words), .cmds = CR, .group = GRP_CR,
	  .rpc = "network_lock", .argname = "MODE",
	  .help = "hold connections while frozen with iptables (default), nftables, or skip" },
	{ "cpu-cap", 0, INT_OPTARG(cpu_cap), .set = set_cpu_cap, .show = show_cpu_cap, .cmds = CR | CPUINFO,
	  .flags = UNBUILT, .group = GRP_CR, .rpc = "cpu_cap", .argname = "CAPS",
	  .help = "CPU features to record and check: fpu, cpu, ins, all, none (default fpu,cpu)" },
	{ "skip-file-rwx-check", 0, BOOL(skip_file_rwx_check), .cmds = CR, .flags = UNBUILT, .group = GRP_CR,
	  .rpc = "skip_file_rwx_check", .help = "do not check the rwx permissions of restored files" },

	/* Check */
	{ "extra", 0, BOOL(check_extra_features), .cmds = CHK, .group = GRP_CHECK,
	  .help = "also check what only some kinds of state need" },
	{ "experimental", 0, BOOL(check_experimental_features), .cmds = CHK, .group = GRP_CHECK,
	  .help = "also check experimental features" },
	{ "all", 0, FLAG(check_all), .set = set_check_all, .cmds = CHK, .group = GRP_CHECK,
	  .help = "check everything: --extra and --experimental" },
	{ "feature", 0, STR(check_feature), .cmds = CHK, .group = GRP_CHECK, .argname = "NAME",
	  .help = "check only feature NAME ('list' lists the names)" },

	/* Page server, lazy pages, service */
	{ "address", 0, STR(addr), .cmds = SERVERS | DUMPS, .flags = UNBUILT, .group = GRP_SERVER, .rpc = "ps.address",
	  .argname = "ADDR", .help = "address of the page server (or the service's socket path)" },
	{ "port", 0, INT(port, 1, 65535), .cmds = SERVERS | DUMPS, .flags = UNBUILT, .group = GRP_SERVER,
	  .rpc = "ps.port", .argname = "PORT", .help = "TCP port of the page server" },
	{ "daemon", 0, BOOL(daemon_mode), .cmds = SERVERS, .flags = UNBUILT, .group = GRP_SERVER,
	  .help = "run in the background once ready" },
	{ "status-fd", 0, INT(status_fd, 0, INT_MAX), .cmds = SERVERS, .flags = UNBUILT, .group = GRP_SERVER,
	  .rpc = "status_fd", .argname = "FD", .help = "write a zero byte to FD once ready, then close it" },
	{ "ps-socket", 0, INT(ps_socket, 0, INT_MAX), .cmds = SERVERS | DUMPS, .flags = UNBUILT, .group = GRP_SERVER,
	  .argname = "FD", .help = "talk to the page server over this connected socket" },
	{ "tls", 0, BOOL(tls), .cmds = SERVERS | CR, .flags = UNBUILT, .group = GRP_SERVER, .rpc = "tls",
	  .help = "encrypt the page server connection with TLS" },
	{ "tls-cacert", 0, PATH(tls_cacert), .cmds = SERVERS | CR, .flags = UNBUILT, .group = GRP_SERVER,
	  .rpc = "tls_cacert", .argname = "FILE", .help = "TLS: certificate authority to trust" },
	{ "tls-cacrl", 0, PATH(tls_cacrl), .cmds = SERVERS | CR, .flags = UNBUILT, .group = GRP_SERVER,
	  .rpc = "tls_cacrl", .argname = "FILE", .help = "TLS: certificate revocation list" },
	{ "tls-cert", 0, PATH(tls_cert), .cmds = SERVERS | CR, .flags = UNBUILT, .group = GRP_SERVER, .rpc = "tls_cert",
	  .argname = "FILE", .help = "TLS: our certificate" },
	{ "tls-key", 0, PATH(tls_key), .cmds = SERVERS | CR, .flags = UNBUILT, .group = GRP_SERVER, .rpc = "tls_key",
	  .argname = "FILE", .help = "TLS: our private key" },
	{ "tls-no-cn-verify", 0, BOOL(tls_no_cn_verify), .cmds = SERVERS | CR, .flags = UNBUILT, .group = GRP_SERVER,
	  .rpc = "tls_no_cn_verify", .help = "TLS: do not check the peer's common name" },

	/* Other */
	{ "libdir", 'L', PATH(libdir), .cmds = CR, .flags = UNBUILT, .group = GRP_OTHER, .argname = "DIR",
	  .help = "load plugins from DIR" },
	{ "deprecated", 0, BOOL(deprecated_ok), .cmds = ALL, .group = GRP_OTHER,
	  .help = "allow deprecated features (also: $CRIU_DEPRECATED)" },
	{ "help", 'h', FLAG(show_help), .cmds = ALL, .flags = CLI_ONLY, .group = GRP_OTHER,
	  .help = "print this help and exit" },
	{ "help-markdown", 0, FLAG(show_help_markdown), .cmds = ALL, .flags = CLI_ONLY, .group = GRP_OTHER,
	  .help = "print the commands and options in Markdown (for the man page) and exit" },
	{ "version", 'V', FLAG(show_version), .cmds = ALL, .flags = CLI_ONLY, .group = GRP_OTHER,
	  .help = "print the version and exit" },
};

const unsigned int opt_table_size = ARRAY_SIZE(opt_table);

_Static_assert(ARRAY_SIZE(opt_table) <= OPT_ROWS_MAX, "raise OPT_ROWS_MAX");

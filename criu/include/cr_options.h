/*
 * criu's options: one structure holding every setting, one table of option
 * descriptors that fills it.
 *
 * Every option is one row of opt_table[] (criu/options.c): its long and short
 * names, the kind of value it takes, the field of struct cr_options it sets,
 * whether a config file may set it, its RPC field, its help line, and the
 * commands it applies to.  The command line, the config files, --help, the
 * man page's option list and (later) RPC requests all go through that table,
 * so an option is added in exactly one place.
 *
 * How to use it (what main() does):
 *   1. cr_options_init(&opts);
 *   2. parse_options(argc, argv, &opts): config files in order, then argv;
 *      on -h/--help or -V/--version only o->show_help / o->show_version is set.
 *   3. check_options(&opts): contradictions, per-command rules.
 *   4. opts_refuse_unbuilt(&opts): options whose feature is not built yet.
 *   5. opts_log_report(&opts) once the log is set up (visible at -v4).
 *   6. cr_options_free(&opts) if you care (tests do).
 *
 * Values set by an earlier source (a config file) are overridden by a later
 * one (another config file, then the command line); list options (--external,
 * --action-script...) accumulate across sources.
 */
#ifndef CRIU_CR_OPTIONS_H
#define CRIU_CR_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------- commands */

enum cr_command {
	CMD_NONE = 0,
	CMD_DUMP,
	CMD_PRE_DUMP,
	CMD_RESTORE,
	CMD_CHECK,
	CMD_PAGE_SERVER,
	CMD_LAZY_PAGES,
	CMD_SERVICE,
	CMD_SWRK,
	CMD_DEDUP,
	CMD_CPUINFO_DUMP,
	CMD_CPUINFO_CHECK,
	CMD_MAX,
};

#define CMD_BIT(c) (1u << (c))
#define CMDS_DUMP  (CMD_BIT(CMD_DUMP) | CMD_BIT(CMD_PRE_DUMP))
#define CMDS_CR	   (CMDS_DUMP | CMD_BIT(CMD_RESTORE))
#define CMDS_PS	   (CMD_BIT(CMD_PAGE_SERVER) | CMD_BIT(CMD_LAZY_PAGES))
#define CMDS_RPC   (CMD_BIT(CMD_SERVICE) | CMD_BIT(CMD_SWRK))
#define CMDS_ALL   ((1u << CMD_MAX) - 2) /* every command but CMD_NONE */

/* "dump", "cpuinfo check"...: the name as a user types it. */
const char *cr_command_name(enum cr_command cmd);
/* One line for --help. */
const char *cr_command_help(enum cr_command cmd);

/* ------------------------------------------------------------ value types */

/* A list option's values, in the order given, each with its origin. */
struct opt_origin {
	const char *file;  /* config file path, or OPT_FROM_CMDLINE / OPT_FROM_RPC; NULL: default */
	unsigned int line; /* line in the file, 0 elsewhere */
	unsigned int rank; /* order of the source: later sources have higher ranks */
};

extern const char OPT_FROM_CMDLINE[]; /* "command line" */
extern const char OPT_FROM_RPC[];     /* "RPC request" */

struct opt_list {
	char **v;
	struct opt_origin *from;
	unsigned int n;
};

/* Append a copy of @value (0 or -ENOMEM); free every value. */
int opt_list_add(struct opt_list *l, const char *value, const struct opt_origin *from);
void opt_list_free(struct opt_list *l);

/* --manage-cgroups modes; the order is the order of the words (and of RPC's criu_cg_mode). */
enum cg_mode {
	CG_MODE_IGNORE,
	CG_MODE_NONE,
	CG_MODE_PROPS,
	CG_MODE_SOFT,
	CG_MODE_FULL,
	CG_MODE_STRICT,
};
#define CG_MODE_DEFAULT CG_MODE_SOFT

enum network_lock_method {
	NETWORK_LOCK_IPTABLES,
	NETWORK_LOCK_NFTABLES,
	NETWORK_LOCK_SKIP,
};

enum pre_dump_mode {
	PRE_DUMP_SPLICE,
	PRE_DUMP_READ,
};

enum file_validation_method {
	FILE_VALIDATION_FILESIZE,
	FILE_VALIDATION_BUILDID,
};

/* --cpu-cap bits */
#define CPU_CAP_NONE	0u
#define CPU_CAP_FPU	(1u << 0)
#define CPU_CAP_CPU	(1u << 1)
#define CPU_CAP_INS	(1u << 2)
#define CPU_CAP_ALL	(CPU_CAP_FPU | CPU_CAP_CPU | CPU_CAP_INS)
#define CPU_CAP_DEFAULT (CPU_CAP_FPU | CPU_CAP_CPU)

#define DEFAULT_GHOST_LIMIT (1u << 20)
#define DEFAULT_TIMEOUT	    10

/* What happened to each config file source (for the -v4 report). */
enum cfg_status {
	CFG_READ,
	CFG_ABSENT,
	CFG_SKIPPED, /* --no-default-config or --config */
	CFG_NO_HOME, /* $HOME is not set */
};

struct cfg_report {
	char *path;
	enum cfg_status status;
};

/* Room for per-row origins; options.c checks the table fits. */
#define OPT_ROWS_MAX 160

/* ------------------------------------------------------------ the options */

struct cr_options {
	/* The command and the words after it ("cpuinfo dump" has none left). */
	enum cr_command command;
	char **cmd_args; /* into argv, not owned */
	int nr_cmd_args;

	/* Everywhere */
	char *imgs_dir; /* -D; NULL: "." */
	char *work_dir; /* -W; NULL: the images dir */
	char *output;	/* -o; NULL or "-": stderr */
	int log_level;
	bool log_file_per_pid;
	bool no_default_config;
	struct opt_list config_files; /* --config, in order */
	char *pidfile;
	bool display_stats;
	struct opt_list scripts; /* --action-script */
	char *img_parent;	 /* --prev-images-dir, relative to the images dir */
	bool unprivileged;
	char *libdir;
	int status_fd;
	bool deprecated_ok;
	bool stream;
	bool show_help;
	bool show_help_markdown;
	bool show_version;

	/* dump, pre-dump (and restore where it says so) */
	int tree_id;
	bool leave_running;
	bool leave_stopped;
	bool shell_job;
	bool handle_file_locks;
	bool tcp_established_ok;
	bool tcp_close;
	bool tcp_skip_in_flight;
	bool ext_unix_sk;
	struct opt_list ext_unix_sk_ids; /* -x ID[,ID...] (deprecated form of --external unix[ID]) */
	bool link_remap_ok;
	uint64_t ghost_limit;
	bool ghost_fiemap;
	int file_validation_method;
	struct opt_list external;
	char *freeze_cgroup;
	int manage_cgroups; /* enum cg_mode */
	struct opt_list new_cgroup_roots;
	char *cgroup_props;
	char *cgroup_props_file;
	struct opt_list cgroup_dump_controllers;
	char *cgroup_yard;
	int timeout;
	bool use_page_server;
	char *addr;
	int port;
	bool track_mem;
	int pre_dump_mode; /* enum pre_dump_mode */
	bool lazy_pages;
	bool auto_dedup;
	int network_lock_method; /* enum network_lock_method */
	int cpu_cap;		 /* CPU_CAP_* bits */
	bool evasive_devices;
	bool force_irmap;
	struct opt_list irmap_scan_paths;
	bool allow_uprobes;
	struct opt_list enable_fs;
	struct opt_list skip_mnt;
	struct opt_list ext_mounts; /* -M KEY:VAL or "auto" */
	bool enable_external_sharing;
	bool enable_external_masters;
	bool skip_file_rwx_check;
	char *lsm_profile;
	char *lsm_mount_context;
	int empty_ns; /* CLONE_NEW* bits */

	/* restore */
	bool restore_detach;
	bool restore_sibling;
	char *root;
	struct opt_list inherit_fds;
	struct opt_list join_ns;
	struct opt_list veth_pairs;
	bool weak_sysctls;
	bool mntns_compat_mode;
	bool exec_cmd; /* the words after the command are the program to run */

	/* check */
	bool check_extra_features;
	bool check_experimental_features;
	bool check_all;
	char *check_feature;

	/* page-server, lazy-pages, service */
	bool daemon_mode;
	int ps_socket;
	bool tls;
	char *tls_cacert;
	char *tls_cacrl;
	char *tls_cert;
	char *tls_key;
	bool tls_no_cn_verify;

	/* Set up by main(), not by options */
	int imgs_dir_fd; /* -1 until opened */

	/* Bookkeeping: where each row's value came from, config files seen. */
	struct opt_origin origin[OPT_ROWS_MAX];
	struct cfg_report *cfg_report;
	unsigned int nr_cfg_report;
	unsigned int next_rank;
};

extern struct cr_options opts;

/* ------------------------------------------------------------ the table */

enum opt_kind {
	OPT_BOOL,   /* bool; "--no-NAME" sets it false */
	OPT_FLAG,   /* bool set by giving the option; no negation */
	OPT_INT,    /* int within [min, max] */
	OPT_SIZE,   /* uint64_t bytes, K/M/G suffixes, within [min, max] */
	OPT_STRING, /* char *, not empty */
	OPT_PATH,   /* char *, not empty: a file or directory name */
	OPT_ENUM,   /* int: index of the word in words[] */
	OPT_LIST,   /* struct opt_list: each use appends one value */
};

enum opt_arg {
	ARG_NONE,
	ARG_REQUIRED,
	ARG_OPTIONAL, /* only as --name=VALUE or -xVALUE on the command line */
};

/* Help groups, in the order --help prints them. */
enum opt_group {
	GRP_COMMON,
	GRP_LOG,
	GRP_CONFIG,
	GRP_DUMP,
	GRP_RESTORE,
	GRP_CR, /* dump and restore */
	GRP_CHECK,
	GRP_SERVER,
	GRP_OTHER,
	GRP_MAX,
};

extern const char *const opt_group_title[GRP_MAX];

#define OPT_CLI_ONLY (1u << 0) /* not allowed in a config file */
#define OPT_UNBUILT  (1u << 1) /* the feature behind it is not built yet: commands refuse it */

struct opt_desc {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	enum opt_kind kind;
	enum opt_arg arg;
	size_t offset;		  /* of the field in struct cr_options */
	long long min, max;	  /* OPT_INT, OPT_SIZE */
	const char *const *words; /* OPT_ENUM: NULL-terminated */
	const char *noarg;	  /* ARG_OPTIONAL: the value used when none is given (NULL: none) */
	/*
	 * Optional: check the syntax of the argument; NULL if fine, else why not
	 * ("expected IN=OUT").  Called before the value is stored.
	 */
	const char *(*check)(const char *arg);
	/*
	 * Optional: store the value instead of the kind's own way.  @arg may be
	 * NULL (no argument given), @neg is set for "--no-NAME".  0, or
	 * -EINVAL with *why saying what is wrong with @arg, or -ENOMEM.
	 */
	int (*set)(struct cr_options *o, const char *arg, bool neg, const struct opt_origin *from, const char **why);
	/* Optional: print a value its kind does not show well (bit masks). */
	void (*show)(const struct cr_options *o, char *buf, size_t len);
	unsigned int flags; /* OPT_CLI_ONLY, OPT_UNBUILT */
	unsigned int cmds;  /* CMD_BIT()s of the commands it applies to */
	enum opt_group group;
	const char *rpc;     /* criu_opts field in rpc.proto, NULL if none */
	const char *argname; /* "DIR", "PID"... for help */
	const char *help;    /* one line */
};

extern const struct opt_desc opt_table[];
extern const unsigned int opt_table_size;

/* Row of long name @name (exactly, no abbreviation), or NULL. */
const struct opt_desc *opt_lookup(const char *name);

/*
 * Find the row for a long option as the user wrote it (@len chars of @name,
 * no dashes): exact names first, then unambiguous prefixes, "no-NAME" for
 * booleans (*neg set).  NULL if unknown or ambiguous, after saying which with
 * @where ("" or "FILE:LINE: ") and @dashes ("--" or "") before the name.
 */
const struct opt_desc *opt_match(const char *name, size_t len, bool *neg, const char *where, const char *dashes);

/*
 * Apply one option: parse @arg by the row's kind (NULL when none was given)
 * and store it in @o, remembering @from.  @shown is the option as the user
 * wrote it (for messages), @where a "FILE:LINE: " prefix or "".
 * Returns 0 or -EINVAL after one error line.
 */
int opt_apply(struct cr_options *o, const struct opt_desc *d, bool neg, const char *arg, const struct opt_origin *from,
	      const char *shown, const char *where);

/* Is the row's value in @o different from the default? */
bool opt_is_set(const struct cr_options *o, const struct opt_desc *d);

/* Value parsers, exposed for tests. 0 or -EINVAL/-ERANGE (silent). */
int opt_parse_int(const char *s, long long min, long long max, long long *out);
int opt_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* ------------------------------------------------------------ the API */

void cr_options_init(struct cr_options *o);
void cr_options_free(struct cr_options *o);

/* Command word lookup: CMD_NONE if @word is not a command. */
enum cr_command cr_command_lookup(const char *word);
/* Is @word a command (including the obsolete exec and show, and "cpuinfo")? */
bool cr_is_command_word(const char *word);

/*
 * The whole parse: -h/--help or -V/--version anywhere in argv win (nothing
 * else is read, not even config files); otherwise the config files in order
 * (see config.h), then argv.  0 or -EINVAL after one error line.
 */
int parse_options(int argc, char **argv, struct cr_options *o);

/* argv only (argv[0] is the program name, not looked at). 0 or -EINVAL. */
int parse_argv(int argc, char **argv, struct cr_options *o);

/*
 * Rules that need every source read: contradictions (-S without -d,
 * --leave-running with --leave-stopped from one source...), options
 * limited to one command.  0 or -EINVAL after one error line.
 */
int check_options(struct cr_options *o);

/* Refuse options given for @o->command whose feature is not built. 0 or -ENOTSUP. */
int opts_refuse_unbuilt(const struct cr_options *o);

/* --help (to @f), --help-markdown, --version (to stdout). */
void print_usage(FILE *f);
void print_options_markdown(FILE *f);
void print_version(void);

/* At debug level: config files read or absent, every option that differs from its default. */
void opts_log_report(const struct cr_options *o);

#endif /* CRIU_CR_OPTIONS_H */

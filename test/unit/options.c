/*
 * The option table and its parsers: table invariants (names, short names,
 * help, kinds), value parsing (ints, sizes, enums, lists, special options),
 * the command line (getopt_long's conventions), contradictions, unbuilt
 * options, config-file lines (words, quotes, comments) and config files in
 * their order of sources.
 */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "unit.h"
#include "cr_options.h"
#include "config.h"
#include "log.h"

/* ---------------------------------------------------------------- helpers */

static char tmpdir[] = "/tmp/criu-unit-options.XXXXXX";

/* Split @line on spaces into argv (argv[0] = "criu"); the words live until the next call. */
static int argv_of(const char *line, char ***argvp)
{
	static char buf[1024];
	static char *argv[64];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	argv[argc++] = "criu";
	for (char *save, *w = strtok_r(buf, " ", &save); w && argc < 63; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	*argvp = argv;
	return argc;
}

/* Fresh options, parse @line as the command line only. */
static int parse(struct cr_options *o, const char *line)
{
	char **argv;
	int argc = argv_of(line, &argv);

	cr_options_free(o);
	cr_options_init(o);
	return parse_argv(argc, argv, o);
}

/* parse() then check_options() */
static int parse_check(struct cr_options *o, const char *line)
{
	int ret = parse(o, line);

	return ret ? ret : check_options(o);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		printf("FAIL: cannot write %s\n", path);
	if (fd >= 0)
		close(fd);
}

static const char *path_in(const char *name)
{
	static char paths[8][PATH_MAX];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
	return p;
}

/* ---------------------------------------------------------------- the table */

static void test_table_rows_complete(void)
{
	for (unsigned int i = 0; i < opt_table_size; i++) {
		const struct opt_desc *d = &opt_table[i];

		CHECK(d->name && d->name[0] && d->name[0] != '-');
		CHECK(d->help && d->help[0]);
		if (d->help) {
			size_t n = strlen(d->help);

			CHECK(d->help[n - 1] != '.' && d->help[n - 1] != '\n');
		}
		CHECK(d->cmds && !(d->cmds & ~CMDS_ALL));
		CHECK(d->group < GRP_MAX);
		if (d->arg != ARG_NONE)
			CHECK(d->argname != NULL);
		if (d->kind == OPT_ENUM)
			CHECK(d->words && d->words[0]);
		if (d->kind == OPT_BOOL || d->kind == OPT_FLAG)
			CHECK(d->arg == ARG_NONE || d->set);
		if (d->kind == OPT_INT && !d->set)
			CHECK(d->min <= d->max);
		if (d->arg == ARG_OPTIONAL && d->kind == OPT_ENUM)
			CHECK(d->noarg != NULL);
		for (const char *p = d->name; *p; p++)
			CHECK((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-');
		if (!d->name || !d->help)
			printf("  row %u (%s) is incomplete\n", i, d->name ? d->name : "?");
	}
}

static void test_table_no_duplicates(void)
{
	for (unsigned int i = 0; i < opt_table_size; i++) {
		const struct opt_desc *a = &opt_table[i];

		for (unsigned int j = i + 1; j < opt_table_size; j++) {
			const struct opt_desc *b = &opt_table[j];

			CHECK(strcmp(a->name, b->name));
			CHECK(!a->short_name || a->short_name != b->short_name);
			CHECK(a->offset != b->offset);
		}
		/* "no-NAME" of a boolean must not be another option's name */
		if (a->kind == OPT_BOOL) {
			char neg[128];

			snprintf(neg, sizeof(neg), "no-%s", a->name);
			CHECK(opt_lookup(neg) == NULL);
		}
		CHECK(opt_lookup(a->name) == a);
		/* only these two are both an option and a command, as in CRIU */
		CHECK(!cr_is_command_word(a->name) || !strcmp(a->name, "page-server") ||
		      !strcmp(a->name, "lazy-pages"));
	}
}

/* The short names CRIU has, on the long names CRIU gives them. */
static void test_table_criu_short_names(void)
{
	static const struct {
		char s;
		const char *name;
	} criu[] = {
		{ 'D', "images-dir" },
		{ 'W', "work-dir" },
		{ 'o', "log-file" },
		{ 'v', "verbosity" },
		{ 'V', "version" },
		{ 'h', "help" },
		{ 't', "tree" },
		{ 'R', "leave-running" },
		{ 's', "leave-stopped" },
		{ 'j', "shell-job" },
		{ 'l', "file-locks" },
		{ 'x', "ext-unix-sk" },
		{ 'd', "restore-detached" },
		{ 'S', "restore-sibling" },
		{ 'r', "root" },
		{ 'J', "join-ns" },
		{ 'L', "libdir" },
		{ 'M', "ext-mount-map" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(criu); i++) {
		const struct opt_desc *d = opt_lookup(criu[i].name);

		CHECK(d && d->short_name == criu[i].s);
	}
}

/* Every option of the contract is in the table. */
static void test_table_contract_options(void)
{
	static const char *const names[] = {
		"images-dir",
		"work-dir",
		"log-file",
		"verbosity",
		"log-pid",
		"config",
		"no-default-config",
		"pidfile",
		"display-stats",
		"action-script",
		"version",
		"help",
		"prev-images-dir",
		"unprivileged",
		"tree",
		"leave-running",
		"leave-stopped",
		"shell-job",
		"file-locks",
		"tcp-established",
		"tcp-close",
		"skip-in-flight",
		"ext-unix-sk",
		"link-remap",
		"ghost-limit",
		"file-validation",
		"external",
		"freeze-cgroup",
		"manage-cgroups",
		"cgroup-root",
		"timeout",
		"page-server",
		"address",
		"port",
		"track-mem",
		"pre-dump-mode",
		"lazy-pages",
		"auto-dedup",
		"network-lock",
		"cpu-cap",
		"evasive-devices",
		"force-irmap",
		"allow-uprobes",
		"enable-fs",
		"restore-detached",
		"restore-sibling",
		"root",
		"inherit-fd",
		"join-ns",
		"veth-pair",
		"extra",
		"experimental",
		"all",
		"feature",
		"daemon",
		"status-fd",
		"ps-socket",
		"tls",
		"tls-cacert",
		"tls-cacrl",
		"tls-cert",
		"tls-key",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!opt_lookup(names[i]))
			printf("  missing option %s\n", names[i]);
		CHECK(opt_lookup(names[i]) != NULL);
	}
}

/* Defaults are not "set"; the command names round-trip. */
static void test_defaults_and_commands(void)
{
	struct cr_options o;

	cr_options_init(&o);
	for (unsigned int i = 0; i < opt_table_size; i++)
		CHECK(!opt_is_set(&o, &opt_table[i]));
	CHECK(o.log_level == 2 && o.timeout == 10 && o.ghost_limit == 1024 * 1024);
	CHECK(o.manage_cgroups == CG_MODE_SOFT && o.network_lock_method == NETWORK_LOCK_IPTABLES);
	CHECK(o.status_fd == -1 && o.ps_socket == -1 && o.cpu_cap == CPU_CAP_DEFAULT);
	for (int c = CMD_NONE + 1; c < CMD_MAX; c++)
		CHECK(cr_command_lookup(cr_command_name(c)) == (enum cr_command)c);
	CHECK(cr_command_lookup("exec") == CMD_NONE && cr_is_command_word("exec") && cr_is_command_word("show"));
	CHECK(cr_is_command_word("cpuinfo") && !cr_is_command_word("tcp-established"));
	cr_options_free(&o);
}

/* ---------------------------------------------------------------- values */

static void test_parse_int(void)
{
	long long v = 0;

	CHECK(opt_parse_int("12", 0, 100, &v) == 0 && v == 12);
	CHECK(opt_parse_int("-1", -5, 5, &v) == 0 && v == -1);
	CHECK(opt_parse_int("-1", 0, 5, &v) == -ERANGE);
	CHECK(opt_parse_int("101", 0, 100, &v) == -ERANGE);
	CHECK(opt_parse_int("99999999999999999999", 0, LLONG_MAX, &v) == -ERANGE);
	CHECK(opt_parse_int("", 0, 100, &v) == -EINVAL);
	CHECK(opt_parse_int("abc", 0, 100, &v) == -EINVAL);
	CHECK(opt_parse_int("12x", 0, 100, &v) == -EINVAL);
	CHECK(opt_parse_int(" 12", 0, 100, &v) == -EINVAL);
	CHECK(opt_parse_int("0x10", 0, 100, &v) == -EINVAL);
}

static void test_parse_size(void)
{
	uint64_t v = 0;

	CHECK(opt_parse_size("10", 0, UINT64_MAX, &v) == 0 && v == 10);
	CHECK(opt_parse_size("1K", 0, UINT64_MAX, &v) == 0 && v == 1024);
	CHECK(opt_parse_size("3k", 0, UINT64_MAX, &v) == 0 && v == 3072);
	CHECK(opt_parse_size("2M", 0, UINT64_MAX, &v) == 0 && v == 2 << 20);
	CHECK(opt_parse_size("4G", 0, UINT64_MAX, &v) == 0 && v == 4ULL << 30);
	CHECK(opt_parse_size("0", 0, UINT64_MAX, &v) == 0 && v == 0);
	CHECK(opt_parse_size("10X", 0, UINT64_MAX, &v) == -EINVAL);
	CHECK(opt_parse_size("1KB", 0, UINT64_MAX, &v) == -EINVAL);
	CHECK(opt_parse_size("K", 0, UINT64_MAX, &v) == -EINVAL);
	CHECK(opt_parse_size("-1", 0, UINT64_MAX, &v) == -EINVAL);
	CHECK(opt_parse_size("99999999999G", 0, UINT64_MAX, &v) == -ERANGE);
	CHECK(opt_parse_size("2K", 0, 1024, &v) == -ERANGE);
}

/* ---------------------------------------------------------------- command line */

static void test_argv_forms(void)
{
	struct cr_options o = {};

	cr_options_init(&o);
	/* --opt=value, --opt value, -Dvalue, -D value: the same */
	CHECK(parse(&o, "dump --images-dir=/a") == 0);
	CHECK_STR(o.imgs_dir, "/a");
	CHECK(parse(&o, "dump --images-dir /b") == 0);
	CHECK_STR(o.imgs_dir, "/b");
	CHECK(parse(&o, "dump -D/c") == 0);
	CHECK_STR(o.imgs_dir, "/c");
	CHECK(parse(&o, "dump -D /d") == 0);
	CHECK_STR(o.imgs_dir, "/d");
	/* options before and after the command */
	CHECK(parse(&o, "-t 42 dump -R") == 0);
	CHECK(o.command == CMD_DUMP && o.tree_id == 42 && o.leave_running);
	/* bundled short flags, then one taking the rest of the word */
	CHECK(parse(&o, "restore -jldD/x") == 0);
	CHECK(o.shell_job && o.handle_file_locks && o.restore_detach);
	CHECK_STR(o.imgs_dir, "/x");
	/* a required argument is taken even when it looks like an option */
	CHECK(parse(&o, "dump -o -") == 0);
	CHECK_STR(o.output, "-");
	/* later wins */
	CHECK(parse(&o, "dump --timeout 3 --timeout=5") == 0 && o.timeout == 5);
	/* "--" ends the options */
	CHECK(parse(&o, "restore --exec-cmd -- prog -x --y") == 0);
	CHECK(o.exec_cmd && o.nr_cmd_args == 3);
	if (o.nr_cmd_args == 3) {
		CHECK_STR(o.cmd_args[0], "prog");
		CHECK_STR(o.cmd_args[2], "--y");
	}
	/* abbreviations, as getopt_long allows them */
	CHECK(parse(&o, "dump --tcp-est --no-display") == 0 && o.tcp_established_ok);
	CHECK(parse(&o, "dump --tcp") == -EINVAL); /* ambiguous */
	/* an exact name wins over a longer one it prefixes */
	CHECK(parse(&o, "page-server --tls") == 0 && o.tls);
	cr_options_free(&o);
}

static void test_argv_negation(void)
{
	struct cr_options o = {};

	cr_options_init(&o);
	CHECK(parse(&o, "dump --display-stats --no-display-stats") == 0 && !o.display_stats);
	CHECK(parse(&o, "dump --no-display-stats --display-stats") == 0 && o.display_stats);
	CHECK(parse(&o, "dump -j --no-shell-job") == 0 && !o.shell_job);
	CHECK(parse(&o, "dump --no-tree 1") == -EINVAL);	/* not a boolean */
	CHECK(parse(&o, "dump --no-shell-job=yes") == -EINVAL); /* no argument */
	CHECK(parse(&o, "dump --shell-job=yes") == -EINVAL);
	cr_options_free(&o);
}

static void test_argv_errors(void)
{
	struct cr_options o = {};

	cr_options_init(&o);
	CHECK(parse(&o, "dump --bogus") == -EINVAL);
	CHECK(parse(&o, "dump -q") == -EINVAL);
	CHECK(parse(&o, "dump -D") == -EINVAL);
	CHECK(parse(&o, "dump --images-dir") == -EINVAL);
	CHECK(parse(&o, "dump --images-dir=") == -EINVAL);
	CHECK(parse(&o, "dump -t 0") == -EINVAL);
	CHECK(parse(&o, "dump -t x") == -EINVAL);
	CHECK(parse(&o, "page-server --port 65536") == -EINVAL);
	CHECK(parse(&o, "page-server --port 65535") == 0 && o.port == 65535);
	CHECK(parse(&o, "dump --timeout -1") == -EINVAL);
	CHECK(parse(&o, "dump --ghost-limit 1Q") == -EINVAL);
	CHECK(parse(&o, "dump --ghost-limit 2M") == 0 && o.ghost_limit == 2 << 20);
	CHECK(parse(&o, "bogus") == -EINVAL);
	CHECK(parse(&o, "exec") == -EINVAL);
	CHECK(parse(&o, "show") == -EINVAL);
	CHECK(parse(&o, "dump extra") == -EINVAL);
	cr_options_free(&o);
}

static void test_argv_commands(void)
{
	struct cr_options o = {};

	cr_options_init(&o);
	static const struct {
		const char *line;
		enum cr_command cmd;
	} ok[] = {
		{ "dump", CMD_DUMP },
		{ "pre-dump", CMD_PRE_DUMP },
		{ "restore", CMD_RESTORE },
		{ "check", CMD_CHECK },
		{ "page-server", CMD_PAGE_SERVER },
		{ "lazy-pages", CMD_LAZY_PAGES },
		{ "service", CMD_SERVICE },
		{ "swrk 3", CMD_SWRK },
		{ "dedup", CMD_DEDUP },
		{ "cpuinfo dump", CMD_CPUINFO_DUMP },
		{ "-v cpuinfo -v check", CMD_CPUINFO_CHECK },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		CHECK(parse(&o, ok[i].line) == 0 && o.command == ok[i].cmd);
	CHECK(parse(&o, "cpuinfo") == -EINVAL);
	CHECK(parse(&o, "cpuinfo show") == -EINVAL);
	CHECK(parse(&o, "cpuinfo dump x") == -EINVAL);
	CHECK(parse(&o, "swrk") == -EINVAL);
	CHECK(parse(&o, "swrk x") == -EINVAL);
	CHECK(parse(&o, "swrk 3 4") == -EINVAL);
	CHECK(parse(&o, "dump") == 0 && check_options(&o) == 0);
	CHECK(parse(&o, "-v") == 0 && check_options(&o) == -EINVAL); /* no command */
	cr_options_free(&o);
}

static void test_verbosity(void)
{
	struct cr_options o = {};

	cr_options_init(&o);
	CHECK(parse(&o, "check") == 0 && o.log_level == 2);
	CHECK(parse(&o, "check -v") == 0 && o.log_level == 3);
	CHECK(parse(&o, "check -vv") == 0 && o.log_level == 4);
	CHECK(parse(&o, "check -v -v") == 0 && o.log_level == 4);
	CHECK(parse(&o, "check -vvvvvv") == 0 && o.log_level == 4); /* capped */
	CHECK(parse(&o, "check -v0") == 0 && o.log_level == 0);
	CHECK(parse(&o, "check -v4") == 0 && o.log_level == 4);
	CHECK(parse(&o, "check --verbosity") == 0 && o.log_level == 3);
	CHECK(parse(&o, "check --verbosity=1") == 0 && o.log_level == 1);
	CHECK(parse(&o, "check --verbosity=x") == -EINVAL);
	CHECK(parse(&o, "check -vx") == -EINVAL);
	CHECK(parse(&o, "check --verbosity=-1") == -EINVAL);
	cr_options_free(&o);
}

static void test_enums_and_specials(void)
{
	struct cr_options o = {};

	cr_options_init(&o);
	CHECK(parse(&o, "dump --network-lock nftables") == 0 && o.network_lock_method == NETWORK_LOCK_NFTABLES);
	CHECK(parse(&o, "dump --network-lock=skip") == 0 && o.network_lock_method == NETWORK_LOCK_SKIP);
	CHECK(parse(&o, "dump --network-lock ipchains") == -EINVAL);
	CHECK(parse(&o, "pre-dump --pre-dump-mode read") == 0 && o.pre_dump_mode == PRE_DUMP_READ);
	CHECK(parse(&o, "pre-dump --pre-dump-mode write") == -EINVAL);
	CHECK(parse(&o, "restore --file-validation filesize") == 0 &&
	      o.file_validation_method == FILE_VALIDATION_FILESIZE);
	CHECK(parse(&o, "restore --file-validation md5") == -EINVAL);
	/* --manage-cgroups[=MODE]: bare means soft; a separate word is not its argument */
	CHECK(parse(&o, "restore --manage-cgroups=full") == 0 && o.manage_cgroups == CG_MODE_FULL);
	CHECK(parse(&o, "restore --manage-cgroups=ignore") == 0 && o.manage_cgroups == CG_MODE_IGNORE);
	CHECK(parse(&o, "restore --manage-cgroups=none --manage-cgroups") == 0 && o.manage_cgroups == CG_MODE_SOFT);
	CHECK(parse(&o, "restore --manage-cgroups=bogus") == -EINVAL);
	CHECK(parse(&o, "restore --manage-cgroups full") == -EINVAL); /* "full" is not a command */
	/* --cpu-cap */
	CHECK(parse(&o, "restore --cpu-cap") == 0 && o.cpu_cap == CPU_CAP_ALL);
	CHECK(parse(&o, "restore --cpu-cap=none,fpu") == 0 && o.cpu_cap == CPU_CAP_FPU);
	CHECK(parse(&o, "restore --cpu-cap=ins") == 0 && o.cpu_cap == (CPU_CAP_DEFAULT | CPU_CAP_INS));
	CHECK(parse(&o, "restore --cpu-cap=all,^cpu") == 0 && o.cpu_cap == (CPU_CAP_FPU | CPU_CAP_INS));
	CHECK(parse(&o, "restore --cpu-cap=none") == 0 && o.cpu_cap == CPU_CAP_NONE);
	CHECK(parse(&o, "restore --cpu-cap=gpu") == -EINVAL);
	/* -x[IDS] */
	CHECK(parse(&o, "dump -x") == 0 && o.ext_unix_sk && !o.ext_unix_sk_ids.n);
	CHECK(parse(&o, "dump -x12,34 --ext-unix-sk=56") == 0 && o.ext_unix_sk && o.ext_unix_sk_ids.n == 2);
	CHECK(parse(&o, "dump -xabc") == -EINVAL);
	CHECK(parse(&o, "dump -x --no-ext-unix-sk") == 0 && !o.ext_unix_sk);
	/* --all is --extra and --experimental */
	CHECK(parse(&o, "check --all") == 0 && o.check_extra_features && o.check_experimental_features);
	CHECK(parse(&o, "check --extra") == 0 && o.check_extra_features && !o.check_experimental_features);
	CHECK(parse(&o, "check --feature list") == 0);
	CHECK_STR(o.check_feature, "list");
	CHECK(parse(&o, "restore --empty-ns net") == 0 && o.empty_ns);
	CHECK(parse(&o, "restore --empty-ns pid") == -EINVAL);
	cr_options_free(&o);
}

static void test_lists(void)
{
	struct cr_options o = {};

	cr_options_init(&o);
	CHECK(parse(&o, "dump --action-script /a --action-script=/b --external mnt[m]:x --external=unix[12]") == 0);
	CHECK(o.scripts.n == 2 && o.external.n == 2);
	if (o.scripts.n == 2) {
		CHECK_STR(o.scripts.v[0], "/a");
		CHECK_STR(o.scripts.v[1], "/b");
		CHECK(o.scripts.from[1].file == OPT_FROM_CMDLINE);
	}
	CHECK(parse(&o, "dump --external mnt") == -EINVAL);
	CHECK(parse(&o, "dump --external foo[1]:x") == -EINVAL);
	CHECK(parse(&o, "restore --inherit-fd fd[3]:pipe:[1234] --inherit-fd fd[0]:tty[1:2]") == 0 &&
	      o.inherit_fds.n == 2);
	CHECK(parse(&o, "restore --inherit-fd 3:pipe") == -EINVAL);
	CHECK(parse(&o, "restore --inherit-fd fd[x]:pipe") == -EINVAL);
	CHECK(parse(&o, "restore --inherit-fd fd[3]:") == -EINVAL);
	CHECK(parse(&o, "restore -J net:/proc/1/ns/net -J user:1,extra --join-ns=uts:5") == 0 && o.join_ns.n == 3);
	CHECK(parse(&o, "restore -J pid:1") == -EINVAL);
	CHECK(parse(&o, "restore -J net") == -EINVAL);
	CHECK(parse(&o, "restore --veth-pair eth0=veth1@br0") == 0 && o.veth_pairs.n == 1);
	CHECK(parse(&o, "restore --veth-pair eth0") == -EINVAL);
	CHECK(parse(&o, "restore --veth-pair =x") == -EINVAL);
	CHECK(parse(&o, "restore -M auto -M /a:b") == 0 && o.ext_mounts.n == 2);
	CHECK(parse(&o, "restore -M nocolon") == -EINVAL);
	CHECK(parse(&o, "restore --cgroup-root /a --cgroup-root cpu:/b") == 0 && o.new_cgroup_roots.n == 2);
	cr_options_free(&o);
}

/* ---------------------------------------------------------------- rules */

static void test_contradictions(void)
{
	struct cr_options o = {};
	struct opt_origin early = { .file = "/etc/x.conf", .line = 1 };

	cr_options_init(&o);
	CHECK(parse_check(&o, "restore -S") == -EINVAL);
	CHECK(parse_check(&o, "restore -S -d") == 0);
	CHECK(parse_check(&o, "dump -R -s") == -EINVAL);
	CHECK(parse_check(&o, "dump -R --no-leave-running -s") == 0 && o.leave_stopped);
	CHECK(parse_check(&o, "restore --exec-cmd -d -- prog") == -EINVAL);
	CHECK(parse_check(&o, "dump --exec-cmd -- prog") == -EINVAL);
	CHECK(parse_check(&o, "restore --exec-cmd") == -EINVAL);
	CHECK(parse_check(&o, "restore --exec-cmd -- prog") == 0);
	CHECK(parse_check(&o, "dump --mntns-compat-mode") == -EINVAL);
	CHECK(parse_check(&o, "restore --mntns-compat-mode") == 0);
	CHECK(parse_check(&o, "page-server --daemon --ps-socket 1") == -EINVAL);
	CHECK(parse_check(&o, "page-server --daemon --ps-socket 7") == 0);
	/* --tcp-close and --tcp-established may come together (CRIU: close wins on restore) */
	CHECK(parse_check(&o, "restore --tcp-established --tcp-close") == 0);

	/* A later source overrides an earlier one: -s on the command line beats leave-running from a file. */
	cr_options_free(&o);
	cr_options_init(&o);
	early.rank = ++o.next_rank;
	CHECK(opt_apply(&o, opt_lookup("leave-running"), false, NULL, &early, "leave-running", "") == 0);
	char **argv;
	int argc = argv_of("dump -s", &argv);
	CHECK(parse_argv(argc, argv, &o) == 0);
	CHECK(check_options(&o) == 0);
	CHECK(o.leave_stopped && !o.leave_running);
	cr_options_free(&o);
}

static void test_unbuilt(void)
{
	struct cr_options o = {};

	cr_options_init(&o);
	CHECK(parse(&o, "dump --lazy-pages") == 0 && opts_refuse_unbuilt(&o) == -ENOTSUP);
	CHECK(parse(&o, "restore --page-server") == 0 && opts_refuse_unbuilt(&o) == 0); /* not a restore option */
	CHECK(parse(&o, "check --lazy-pages") == 0 && opts_refuse_unbuilt(&o) == 0);
	CHECK(parse(&o, "check --unprivileged") == 0 && opts_refuse_unbuilt(&o) == -ENOTSUP);
	CHECK(parse(&o, "check --unprivileged --no-unprivileged") == 0 && opts_refuse_unbuilt(&o) == 0);
	CHECK(parse(&o, "check --all -v4 -o x.log -D /tmp") == 0 && opts_refuse_unbuilt(&o) == 0);
	/* whatever check accepts is built */
	for (unsigned int i = 0; i < opt_table_size; i++) {
		const struct opt_desc *d = &opt_table[i];

		if (d->group == GRP_CHECK || d->group == GRP_LOG || d->group == GRP_CONFIG)
			CHECK(!(d->flags & OPT_UNBUILT) || !(d->cmds & CMD_BIT(CMD_CHECK)));
	}
	cr_options_free(&o);
}

static void test_origins(void)
{
	struct cr_options o = {};
	const struct opt_desc *d = opt_lookup("timeout");

	cr_options_init(&o);
	CHECK(parse(&o, "dump --timeout 7") == 0);
	CHECK(opt_is_set(&o, d));
	CHECK(o.origin[d - opt_table].file == OPT_FROM_CMDLINE);
	CHECK(parse(&o, "dump --timeout 10") == 0); /* the default value is not "set" */
	CHECK(!opt_is_set(&o, d));
	cr_options_free(&o);
}

/* ---------------------------------------------------------------- config lines */

static int split(const char *line, char ***w, const char **why)
{
	*why = NULL;
	return config_split_line(line, w, why);
}

static void test_config_split(void)
{
	char **w;
	const char *why;
	int n;

	CHECK(split("", &w, &why) == 0);
	config_free_words(w, 0);
	CHECK(split("   \t \n", &w, &why) == 0);
	config_free_words(w, 0);
	CHECK(split("# a comment\n", &w, &why) == 0);
	config_free_words(w, 0);
	CHECK(split("   # indented comment", &w, &why) == 0);
	config_free_words(w, 0);

	n = split("tcp-established   # after an option\n", &w, &why);
	CHECK(n == 1);
	if (n == 1)
		CHECK_STR(w[0], "tcp-established");
	config_free_words(w, n);

	n = split("\tlog-file\t  dump.log\r\n", &w, &why);
	CHECK(n == 2);
	if (n == 2)
		CHECK_STR(w[1], "dump.log");
	config_free_words(w, n);

	/* quotes keep whitespace and '#' */
	n = split("action-script \"/my scripts/a # b.sh\" # comment", &w, &why);
	CHECK(n == 2);
	if (n == 2)
		CHECK_STR(w[1], "/my scripts/a # b.sh");
	config_free_words(w, n);

	/* \" is a quote; every other backslash stays as written */
	n = split("external \"a\\\"b\\n\\\\c\\t\"", &w, &why);
	CHECK(n == 2);
	if (n == 2)
		CHECK_STR(w[1], "a\"b\\n\\\\c\\t");
	config_free_words(w, n);

	/* an empty quoted argument */
	n = split("feature \"\"", &w, &why);
	CHECK(n == 2);
	if (n == 2)
		CHECK_STR(w[1], "");
	config_free_words(w, n);

	/* '#' and '"' inside a word are literal */
	n = split("root /a#b/c\"d", &w, &why);
	CHECK(n == 2);
	if (n == 2)
		CHECK_STR(w[1], "/a#b/c\"d");
	config_free_words(w, n);

	CHECK(split("log-file \"abc", &w, &why) == -EINVAL && why && strstr(why, "unterminated"));
	CHECK(split("log-file \"abc\\\"", &w, &why) == -EINVAL);
	CHECK(split("log-file \"abc\"def", &w, &why) == -EINVAL && why && strstr(why, "after a closing quote"));
}

static int line(struct cr_options *o, const char *text)
{
	return parse_config_line(o, text, "test.conf", 7, 1);
}

static void test_config_lines(void)
{
	struct cr_options o = {};
	const struct opt_desc *d;

	cr_options_init(&o);
	CHECK(line(&o, "tcp-established") == 0 && o.tcp_established_ok);
	d = opt_lookup("tcp-established");
	CHECK(o.origin[d - opt_table].line == 7);
	CHECK_STR(o.origin[d - opt_table].file, "test.conf");
	CHECK(line(&o, "no-tcp-established # switched off") == 0 && !o.tcp_established_ok);
	CHECK(line(&o, "images-dir /x/y") == 0);
	CHECK_STR(o.imgs_dir, "/x/y");
	CHECK(line(&o, "work-dir=/w") == 0);
	CHECK_STR(o.work_dir, "/w");
	CHECK(line(&o, "log-file \"with space.log\"") == 0);
	CHECK_STR(o.output, "with space.log");
	CHECK(line(&o, "verbosity") == 0 && o.log_level == 3);
	CHECK(line(&o, "verbosity 1") == 0 && o.log_level == 1); /* the next word is the argument */
	CHECK(line(&o, "manage-cgroups") == 0 && o.manage_cgroups == CG_MODE_SOFT);
	CHECK(line(&o, "manage-cgroups strict") == 0 && o.manage_cgroups == CG_MODE_STRICT);
	CHECK(line(&o, "ghost-limit 4M") == 0 && o.ghost_limit == 4 << 20);
	CHECK(line(&o, "external mnt[a]:b") == 0 && line(&o, "external mnt[c]:d") == 0 && o.external.n == 2);
	CHECK(line(&o, "tcp-est") == 0);		    /* an abbreviation, as CRIU's getopt took it */
	CHECK(line(&o, "lazy-pages") == 0 && o.lazy_pages); /* an option, though also a command */
	CHECK(line(&o, "page-server") == 0 && o.use_page_server);

	CHECK(line(&o, "bogus") == -EINVAL);
	CHECK(line(&o, "dump") == -EINVAL);
	CHECK(line(&o, "tcp-established restore") == -EINVAL);
	CHECK(line(&o, "--tcp-established") == -EINVAL);
	CHECK(line(&o, "-j") == -EINVAL);
	CHECK(line(&o, "images-dir") == -EINVAL);
	CHECK(line(&o, "images-dir a b") == -EINVAL);
	CHECK(line(&o, "shell-job yes") == -EINVAL);
	CHECK(line(&o, "config other.conf") == -EINVAL);
	CHECK(line(&o, "no-default-config") == -EINVAL);
	CHECK(line(&o, "help") == -EINVAL);
	CHECK(line(&o, "version") == -EINVAL);
	CHECK(line(&o, "timeout abc") == -EINVAL);
	CHECK(line(&o, "network-lock nope") == -EINVAL);
	CHECK(line(&o, "log-file \"unterminated") == -EINVAL);
	cr_options_free(&o);
}

/* ---------------------------------------------------------------- config files */

static void set_env(const char *etc, const char *home, const char *file)
{
	if (etc)
		setenv("CRIU_SYSCONFDIR", etc, 1);
	else
		unsetenv("CRIU_SYSCONFDIR");
	if (home)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	if (file)
		setenv("CRIU_CONFIG_FILE", file, 1);
	else
		unsetenv("CRIU_CONFIG_FILE");
}

static void test_config_files_order(void)
{
	struct cr_options o = {};
	const char *cfg[] = { path_in("cli.conf") };
	char etc[PATH_MAX], home[PATH_MAX];

	snprintf(etc, sizeof(etc), "%s/etc", tmpdir);
	snprintf(home, sizeof(home), "%s/home", tmpdir);
	mkdir(etc, 0700);
	mkdir(path_in("etc/criu"), 0700);
	mkdir(home, 0700);
	mkdir(path_in("home/.criu"), 0700);
	write_file(path_in("etc/criu/default.conf"), "timeout 1\nshell-job\naction-script /g\n");
	write_file(path_in("home/.criu/default.conf"), "timeout 2\nno-shell-job\naction-script /u\n");
	write_file(path_in("env.conf"), "timeout 3\naction-script /e\n");
	write_file(path_in("cli.conf"), "timeout 4\naction-script /c\n");

	/* each source overrides the one before it; lists accumulate in order */
	set_env(etc, home, NULL);
	cr_options_init(&o);
	CHECK(load_config_files(&o, false, NULL, 0) == 0);
	CHECK(o.timeout == 2 && !o.shell_job && o.scripts.n == 2);
	CHECK(o.nr_cfg_report == 2 && o.cfg_report[0].status == CFG_READ && o.cfg_report[1].status == CFG_READ);
	cr_options_free(&o);

	set_env(etc, home, path_in("env.conf"));
	cr_options_init(&o);
	CHECK(load_config_files(&o, false, NULL, 0) == 0 && o.timeout == 3 && o.scripts.n == 3);
	cr_options_free(&o);

	/* --config skips the default files (the caller says so), not $CRIU_CONFIG_FILE */
	cr_options_init(&o);
	CHECK(load_config_files(&o, true, cfg, 1) == 0 && o.timeout == 4 && o.scripts.n == 2 && !o.shell_job);
	if (o.scripts.n == 2) {
		CHECK_STR(o.scripts.v[0], "/e");
		CHECK_STR(o.scripts.v[1], "/c");
	}
	CHECK(o.nr_cfg_report >= 2 && o.cfg_report[0].status == CFG_SKIPPED);
	cr_options_free(&o);

	/* absent default files are fine, a named file must exist */
	set_env(path_in("nowhere"), path_in("nohome"), NULL);
	cr_options_init(&o);
	CHECK(load_config_files(&o, false, NULL, 0) == 0);
	CHECK(o.nr_cfg_report == 2 && o.cfg_report[0].status == CFG_ABSENT && o.cfg_report[1].status == CFG_ABSENT);
	cr_options_free(&o);

	set_env(NULL, NULL, path_in("missing.conf"));
	cr_options_init(&o);
	CHECK(load_config_files(&o, true, NULL, 0) == -ENOENT);
	cr_options_free(&o);

	const char *missing[] = { path_in("missing.conf") };
	set_env(path_in("nowhere"), NULL, NULL);
	cr_options_init(&o);
	CHECK(load_config_files(&o, false, missing, 1) == -ENOENT);
	CHECK(o.nr_cfg_report >= 2 && o.cfg_report[1].status == CFG_NO_HOME);
	cr_options_free(&o);

	/* a bad line stops everything */
	write_file(path_in("bad.conf"), "\n# fine\ntcp-established\nfoo\n");
	const char *bad[] = { path_in("bad.conf") };
	cr_options_init(&o);
	CHECK(load_config_files(&o, true, bad, 1) == -EINVAL);
	cr_options_free(&o);

	/* a directory is not a config file */
	const char *dir[] = { tmpdir };
	cr_options_init(&o);
	CHECK(load_config_files(&o, true, dir, 1) == -EISDIR);
	cr_options_free(&o);
}

static void test_parse_options_whole(void)
{
	struct cr_options o = {};
	char etc[PATH_MAX], **argv;
	int argc;

	snprintf(etc, sizeof(etc), "%s/etc2", tmpdir);
	mkdir(etc, 0700);
	mkdir(path_in("etc2/criu"), 0700);
	set_env(etc, NULL, NULL);

	/* a broken default file fails the parse ... */
	write_file(path_in("etc2/criu/default.conf"), "tcp-established\nnot-an-option\n");
	cr_options_init(&o);
	argc = argv_of("check", &argv);
	CHECK(parse_options(argc, argv, &o) == -EINVAL);
	cr_options_free(&o);

	/* ... but not --help, -h nor --version, which win over everything */
	cr_options_init(&o);
	argc = argv_of("check --bogus -h", &argv);
	CHECK(parse_options(argc, argv, &o) == 0 && o.show_help);
	cr_options_free(&o);
	cr_options_init(&o);
	argc = argv_of("--version check", &argv);
	CHECK(parse_options(argc, argv, &o) == 0 && o.show_version && !o.show_help);
	cr_options_free(&o);

	/* --no-default-config skips it; the command line comes last */
	write_file(path_in("etc2/criu/default.conf"), "timeout 5\nshell-job\n");
	cr_options_init(&o);
	argc = argv_of("dump --timeout=6", &argv);
	CHECK(parse_options(argc, argv, &o) == 0 && o.timeout == 6 && o.shell_job);
	cr_options_free(&o);
	cr_options_init(&o);
	argc = argv_of("dump --no-default-config", &argv);
	CHECK(parse_options(argc, argv, &o) == 0 && o.timeout == 10 && !o.shell_job);
	cr_options_free(&o);

	/* swrk reads no config file: its options come over RPC */
	write_file(path_in("etc2/criu/default.conf"), "broken line here\n");
	cr_options_init(&o);
	argc = argv_of("swrk 3", &argv);
	CHECK(parse_options(argc, argv, &o) == 0 && o.command == CMD_SWRK);
	cr_options_free(&o);
}

/* ---------------------------------------------------------------- fuzz */

/*
 * Random lines made of the pieces config lines are made of, and random bytes:
 * the parsers must answer 0 or -EINVAL, never crash or leak (ASan watches).
 */
static void test_parsers_fuzz(void)
{
	/* clang-format off */
	static const char *const pieces[] = {
		"tcp-established", "no-", "timeout", "=", " ", "\t", "\"", "\\", "\\\"", "#", "x", "10", "4G",
		"external", "mnt[a]:b", "dump", "verbosity", "manage-cgroups", "full", "--", "-", "inherit-fd",
		"fd[3]:pipe", "config", "\r", "\n", "", "cpu-cap", "^fpu,", "tcp", "ghost-limit", "99999999999999999999",
	};
	/* clang-format on */
	unsigned int seed = 12345;
	char text[256];
	int bad = 0;

	log_set_loglevel(LOG_MSG);
	for (int i = 0; i < 20000; i++) {
		struct cr_options o;
		size_t len = 0;
		int n = rand_r(&seed) % 8, ret;

		for (int k = 0; k < n; k++) {
			const char *p = pieces[rand_r(&seed) % ARRAY_SIZE(pieces)];
			char byte[2] = { (char)(rand_r(&seed) % 255 + 1), 0 };

			if (rand_r(&seed) % 16 == 0)
				p = byte;
			len += snprintf(text + len, sizeof(text) - len, "%s", p);
			if (len >= sizeof(text))
				len = sizeof(text) - 1;
		}
		text[len] = 0;
		cr_options_init(&o);
		ret = parse_config_line(&o, text, "fuzz.conf", 1, 1);
		if (ret && ret != -EINVAL)
			bad++;
		cr_options_free(&o);

		/* the same pieces as command-line words */
		char *argv[10] = { "criu" };
		char words[9][64];
		int argc = 1 + rand_r(&seed) % 9;

		for (int k = 1; k < argc; k++) {
			const char *dash = (const char *[]){ "", "-", "--", "--no-" }[rand_r(&seed) % 4];

			snprintf(words[k - 1], sizeof(words[0]), "%s%s%s", dash,
				 pieces[rand_r(&seed) % ARRAY_SIZE(pieces)],
				 rand_r(&seed) % 4 ? "" : pieces[rand_r(&seed) % ARRAY_SIZE(pieces)]);
			argv[k] = words[k - 1];
		}
		argv[argc] = NULL;
		cr_options_init(&o);
		ret = parse_argv(argc, argv, &o);
		if (!ret)
			ret = check_options(&o);
		if (ret && ret != -EINVAL)
			bad++;
		cr_options_free(&o);
	}
	log_set_loglevel(LOG_ERROR);
	CHECK(bad == 0);
}

/* ---------------------------------------------------------------- help */

static void test_help_lists_everything(void)
{
	char *text = NULL, *md = NULL;
	size_t len = 0, mdlen = 0;
	FILE *f = open_memstream(&text, &len);
	FILE *m = open_memstream(&md, &mdlen);

	print_usage(f);
	fclose(f);
	print_options_markdown(m);
	fclose(m);
	for (unsigned int i = 0; i < opt_table_size; i++) {
		char name[128];

		snprintf(name, sizeof(name), "--%s", opt_table[i].name);
		CHECK(strstr(text, name) != NULL);
		CHECK(strstr(md, name) != NULL);
		CHECK(strstr(text, opt_table[i].help) != NULL);
	}
	for (int c = CMD_NONE + 1; c < CMD_MAX; c++)
		CHECK(strstr(text, cr_command_name(c)) != NULL);
	free(text);
	free(md);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		printf("FAIL: mkdtemp\n");
		return 1;
	}
	log_set_loglevel(LOG_ERROR);

	RUN(test_table_rows_complete);
	RUN(test_table_no_duplicates);
	RUN(test_table_criu_short_names);
	RUN(test_table_contract_options);
	RUN(test_defaults_and_commands);
	RUN(test_parse_int);
	RUN(test_parse_size);
	RUN(test_argv_forms);
	RUN(test_argv_negation);
	RUN(test_argv_errors);
	RUN(test_argv_commands);
	RUN(test_verbosity);
	RUN(test_enums_and_specials);
	RUN(test_lists);
	RUN(test_contradictions);
	RUN(test_unbuilt);
	RUN(test_origins);
	RUN(test_config_split);
	RUN(test_config_lines);
	RUN(test_config_files_order);
	RUN(test_parse_options_whole);
	RUN(test_parsers_fuzz);
	RUN(test_help_lists_everything);

	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		printf("FAIL: cleanup of %s\n", tmpdir);
	return unit_done();
}

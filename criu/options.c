/*
 * Reading options: the command line (parse_argv), the whole sequence of
 * config files then command line (parse_options), checks that need every
 * source (check_options, opts_refuse_unbuilt), --help, --help-markdown,
 * --version and the -v4 report of effective values.  The options themselves
 * are rows of opt_table[] (options-table.c).
 *
 * Parsing follows getopt_long's conventions, which scripts rely on: options
 * before or after the command, "--name=value" and "--name value", "-Dvalue"
 * and "-D value", bundled short flags ("-jl"), unambiguous prefixes of long
 * names ("--tcp-est"), optional arguments only attached ("-v4",
 * "--verbosity=4"), "--" ends the options.
 */
#include <limits.h>

#include "cr_options.h"
#include "config.h"
#include "log.h"
#include "version.h"

struct cr_options opts;

const char OPT_FROM_CMDLINE[] = "command line";
const char OPT_FROM_RPC[] = "RPC request";

static inline unsigned int row_index(const struct opt_desc *d)
{
	return (unsigned int)(d - opt_table);
}

#define FIELD_PTR(o, d, type)  ((type *)((char *)(o) + (d)->offset))
#define FIELD_CPTR(o, d, type) ((const type *)((const char *)(o) + (d)->offset))

/* ------------------------------------------------------------ lists */

int opt_list_add(struct opt_list *l, const char *value, const struct opt_origin *from)
{
	char **v = xrealloc(l->v, (l->n + 1) * sizeof(*v));
	struct opt_origin *f;

	if (!v)
		return -ENOMEM;
	l->v = v;
	f = xrealloc(l->from, (l->n + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	l->from = f;
	l->v[l->n] = xstrdup(value);
	if (!l->v[l->n])
		return -ENOMEM;
	l->from[l->n++] = *from;
	return 0;
}

void opt_list_free(struct opt_list *l)
{
	for (unsigned int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->from);
	memset(l, 0, sizeof(*l));
}

/* ------------------------------------------------------------ init, free */

void cr_options_init(struct cr_options *o)
{
	memset(o, 0, sizeof(*o));
	o->log_level = DEFAULT_LOGLEVEL;
	o->status_fd = -1;
	o->ps_socket = -1;
	o->ghost_limit = DEFAULT_GHOST_LIMIT;
	o->timeout = DEFAULT_TIMEOUT;
	o->manage_cgroups = CG_MODE_DEFAULT;
	o->network_lock_method = NETWORK_LOCK_IPTABLES;
	o->pre_dump_mode = PRE_DUMP_SPLICE;
	o->file_validation_method = FILE_VALIDATION_BUILDID;
	o->cpu_cap = CPU_CAP_DEFAULT;
	o->imgs_dir_fd = -1;
}

void cr_options_free(struct cr_options *o)
{
	for (unsigned int i = 0; i < opt_table_size; i++) {
		const struct opt_desc *d = &opt_table[i];

		if (d->kind == OPT_STRING || d->kind == OPT_PATH) {
			free(*FIELD_PTR(o, d, char *));
			*FIELD_PTR(o, d, char *) = NULL;
		} else if (d->kind == OPT_LIST) {
			opt_list_free(FIELD_PTR(o, d, struct opt_list));
		}
	}
	opt_list_free(&o->ext_unix_sk_ids);
	for (unsigned int i = 0; i < o->nr_cfg_report; i++)
		free(o->cfg_report[i].path);
	free(o->cfg_report);
	o->cfg_report = NULL;
	o->nr_cfg_report = 0;
	free(o->cmd_args);
	o->cmd_args = NULL;
	o->nr_cmd_args = 0;
	if (o->imgs_dir_fd >= 0)
		close(o->imgs_dir_fd);
	o->imgs_dir_fd = -1;
}

static const struct cr_options *defaults(void)
{
	static struct cr_options d;
	static bool ready;

	if (!ready) {
		cr_options_init(&d);
		ready = true;
	}
	return &d;
}

bool opt_is_set(const struct cr_options *o, const struct opt_desc *d)
{
	const struct cr_options *def = defaults();

	switch (d->kind) {
	case OPT_BOOL:
	case OPT_FLAG:
		return *FIELD_CPTR(o, d, bool) != *FIELD_CPTR(def, d, bool);
	case OPT_INT:
	case OPT_ENUM:
		return *FIELD_CPTR(o, d, int) != *FIELD_CPTR(def, d, int);
	case OPT_SIZE:
		return *FIELD_CPTR(o, d, uint64_t) != *FIELD_CPTR(def, d, uint64_t);
	case OPT_STRING:
	case OPT_PATH: {
		const char *a = *FIELD_CPTR(o, d, char *), *b = *FIELD_CPTR(def, d, char *);
		return a != b && (!a || !b || strcmp(a, b));
	}
	case OPT_LIST:
		return FIELD_CPTR(o, d, struct opt_list)->n > 0;
	}
	return false;
}

/* ------------------------------------------------------------ value parsing */

int opt_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int opt_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (!(*s >= '0' && *s <= '9'))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		end++;
		break;
	}
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > UINT64_MAX / mult)
		return -ERANGE;
	v *= mult;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static void range_text(char *buf, size_t len, const char *arg, long long min, long long max)
{
	/* strtoll clamps an overflowing number to LLONG_MAX, which is still above max */
	if ((max == INT_MAX || max == LLONG_MAX) && strtoll(arg, NULL, 10) > max)
		snprintf(buf, len, "must be at most %lld", max);
	else if (max == INT_MAX || max == LLONG_MAX)
		snprintf(buf, len, "must be %lld or more", min);
	else
		snprintf(buf, len, "must be from %lld to %lld", min, max);
}

static void enum_text(char *buf, size_t len, const char *const *words)
{
	size_t off = snprintf(buf, len, "expected one of:");

	for (; *words && off < len; words++)
		off += snprintf(buf + off, len - off, " %s", *words);
}

int opt_apply(struct cr_options *o, const struct opt_desc *d, bool neg, const char *arg, const struct opt_origin *from,
	      const char *shown, const char *where)
{
	const char *why = NULL;
	char text[160];
	int ret = 0;

	if (neg && d->kind != OPT_BOOL) {
		pr_err("%soption '%s' cannot be negated\n", where, shown);
		return -EINVAL;
	}
	if (arg && (d->arg == ARG_NONE || neg)) {
		pr_err("%soption '%s' takes no argument\n", where, shown);
		return -EINVAL;
	}
	if (!arg && d->arg == ARG_REQUIRED) {
		pr_err("%soption '%s' needs an argument (%s)\n", where, shown, d->argname ? d->argname : "VALUE");
		return -EINVAL;
	}
	if (!arg && d->arg == ARG_OPTIONAL)
		arg = d->noarg;
	if (arg && !*arg && d->kind != OPT_BOOL) {
		pr_err("%soption '%s' needs a non-empty argument (%s)\n", where, shown,
		       d->argname ? d->argname : "VALUE");
		return -EINVAL;
	}
	if (arg && d->check && (why = d->check(arg)))
		goto bad;

	if (d->set) {
		ret = d->set(o, arg, neg, from, &why);
		if (ret == -ENOMEM)
			return ret;
		if (ret)
			goto bad;
		goto done;
	}

	switch (d->kind) {
	case OPT_BOOL:
		*FIELD_PTR(o, d, bool) = !neg;
		break;
	case OPT_FLAG:
		*FIELD_PTR(o, d, bool) = true;
		break;
	case OPT_INT: {
		long long v;

		ret = opt_parse_int(arg, d->min, d->max, &v);
		if (ret == -EINVAL)
			why = "not a number";
		else if (ret)
			range_text(text, sizeof(text), arg, d->min, d->max), why = text;
		if (ret)
			goto bad;
		*FIELD_PTR(o, d, int) = (int)v;
		break;
	}
	case OPT_SIZE: {
		uint64_t v;

		ret = opt_parse_size(arg, d->min, d->max, &v);
		if (ret == -EINVAL)
			why = "not a size (a number with an optional K, M or G suffix)";
		else if (ret)
			why = "too large";
		if (ret)
			goto bad;
		*FIELD_PTR(o, d, uint64_t) = v;
		break;
	}
	case OPT_STRING:
	case OPT_PATH: {
		char *s = xstrdup(arg);

		if (!s)
			return -ENOMEM;
		free(*FIELD_PTR(o, d, char *));
		*FIELD_PTR(o, d, char *) = s;
		break;
	}
	case OPT_ENUM: {
		int i;

		for (i = 0; d->words[i]; i++)
			if (!strcmp(arg, d->words[i]))
				break;
		if (!d->words[i]) {
			enum_text(text, sizeof(text), d->words);
			why = text;
			goto bad;
		}
		*FIELD_PTR(o, d, int) = i;
		break;
	}
	case OPT_LIST:
		if (opt_list_add(FIELD_PTR(o, d, struct opt_list), arg, from))
			return -ENOMEM;
		break;
	}
done:
	o->origin[row_index(d)] = *from;
	return 0;
bad:
	pr_err("%sinvalid argument '%s' for '%s': %s\n", where, arg ? arg : "", shown, why);
	return -EINVAL;
}

/* ------------------------------------------------------------ name matching */

const struct opt_desc *opt_lookup(const char *name)
{
	for (unsigned int i = 0; i < opt_table_size; i++)
		if (!strcmp(opt_table[i].name, name))
			return &opt_table[i];
	return NULL;
}

/* Does candidate @cand ("no-" + @name when @neg) start with @len chars of @word, or equal them? */
static int cand_match(const char *word, size_t len, const char *name, bool neg)
{
	size_t nlen = strlen(name) + (neg ? 3 : 0);

	if (len > nlen)
		return 0;
	if (neg) {
		if (len <= 3)
			return strncmp(word, "no-", len) ? 0 : 1;
		if (strncmp(word, "no-", 3) || strncmp(word + 3, name, len - 3))
			return 0;
	} else if (strncmp(word, name, len)) {
		return 0;
	}
	return len == nlen ? 2 : 1; /* 2: exact */
}

/*
 * Quiet matcher: returns the row, or NULL with *nr_found 0 (unknown) or
 * > 1 (ambiguous; @found holds up to 4 candidates).
 */
static const struct opt_desc *match_long(const char *word, size_t len, bool *neg, int *nr_found, const char *found[4],
					 bool found_neg[4])
{
	const struct opt_desc *prefix = NULL;
	bool prefix_neg = false;
	int n = 0;

	*nr_found = 0;
	if (!len)
		return NULL;
	for (unsigned int i = 0; i < opt_table_size; i++) {
		const struct opt_desc *d = &opt_table[i];

		for (int ng = 0; ng <= (d->kind == OPT_BOOL); ng++) {
			int m = cand_match(word, len, d->name, ng);

			if (m == 2) {
				*neg = ng;
				*nr_found = 1;
				return d;
			}
			if (m == 1) {
				if (n < 4) {
					found[n] = d->name;
					found_neg[n] = ng;
				}
				n++;
				prefix = d;
				prefix_neg = ng;
			}
		}
	}
	*nr_found = n;
	if (n != 1)
		return NULL;
	*neg = prefix_neg;
	return prefix;
}

const struct opt_desc *opt_match(const char *word, size_t len, bool *neg, const char *where, const char *dashes)
{
	const char *found[4];
	bool found_neg[4];
	const struct opt_desc *d;
	char list[256];
	size_t off = 0;
	int n;

	d = match_long(word, len, neg, &n, found, found_neg);
	if (d)
		return d;
	if (!n) {
		pr_err("%sunknown option '%s%.*s'\n", where, dashes, (int)len, word);
		return NULL;
	}
	for (int i = 0; i < n && i < 4; i++)
		off += snprintf(list + off, sizeof(list) - off, "%s%s%s%s", i ? ", " : "", dashes,
				found_neg[i] ? "no-" : "", found[i]);
	pr_err("%soption '%s%.*s' is ambiguous: %s%s\n", where, dashes, (int)len, word, list, n > 4 ? "..." : "");
	return NULL;
}

static const struct opt_desc *match_short(char c)
{
	for (unsigned int i = 0; i < opt_table_size; i++)
		if (c && opt_table[i].short_name == c)
			return &opt_table[i];
	return NULL;
}

/* ------------------------------------------------------------ argv walking */

/*
 * One pass over argv in getopt_long's manner.  @on_opt gets each option with
 * its argument (NULL if none) and how the user wrote it; @on_word each word
 * that is not an option.  In lenient mode (the pre-scan) unknown options are
 * skipped silently; otherwise they stop the walk with an error.
 */
struct walker {
	bool lenient;
	int (*on_opt)(struct walker *w, const struct opt_desc *d, bool neg, const char *arg, const char *shown);
	int (*on_word)(struct walker *w, char *word);
};

static int walk_long(struct walker *w, int argc, char **argv, int *i)
{
	const char *word = argv[*i] + 2;
	const char *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);
	const char *found[4];
	bool found_neg[4], neg = false;
	const struct opt_desc *d;
	const char *arg = eq ? eq + 1 : NULL;
	char shown[128];
	int n;

	if (w->lenient)
		d = match_long(word, len, &neg, &n, found, found_neg);
	else
		d = opt_match(word, len, &neg, "", "--");
	if (!d)
		return w->lenient ? 0 : -EINVAL;
	snprintf(shown, sizeof(shown), "--%.*s", (int)len, word);
	if (!arg && d->arg == ARG_REQUIRED && !neg && *i + 1 < argc)
		arg = argv[++*i];
	return w->on_opt(w, d, neg, arg, shown);
}

static int walk_short(struct walker *w, int argc, char **argv, int *i)
{
	const char *p = argv[*i] + 1;

	for (; *p; p++) {
		const struct opt_desc *d = match_short(*p);
		const char *arg = NULL;
		char shown[3] = { '-', *p, 0 };
		int ret;

		if (!d) {
			if (w->lenient)
				return 0;
			pr_err("unknown option '-%c'\n", *p);
			return -EINVAL;
		}
		if (d->arg != ARG_NONE && p[1]) {
			arg = p + 1; /* -DDIR, -v4, -vv */
		} else if (d->arg == ARG_REQUIRED && *i + 1 < argc) {
			arg = argv[++*i];
		}
		ret = w->on_opt(w, d, false, arg, shown);
		if (ret || arg)
			return ret;
	}
	return 0;
}

static int walk_argv(struct walker *w, int argc, char **argv)
{
	int ret = 0;

	for (int i = 1; i < argc && !ret; i++) {
		char *word = argv[i];

		if (!strcmp(word, "--")) {
			while (++i < argc && !ret)
				ret = w->on_word(w, argv[i]);
			break;
		}
		if (word[0] == '-' && word[1] == '-')
			ret = walk_long(w, argc, argv, &i);
		else if (word[0] == '-' && word[1])
			ret = walk_short(w, argc, argv, &i);
		else
			ret = w->on_word(w, word);
	}
	return ret;
}

/* ------------------------------------------------------------ pre-scan */

struct prescan {
	struct walker w;
	bool help, help_md, version, no_default;
	const char **configs;
	int nr_configs;
	const char *first_word;
};

static int prescan_opt(struct walker *w, const struct opt_desc *d, bool neg, const char *arg, const char *shown)
{
	struct prescan *ps = (struct prescan *)w;

	if (d->offset == offsetof(struct cr_options, show_help))
		ps->help = true;
	else if (d->offset == offsetof(struct cr_options, show_help_markdown))
		ps->help_md = true;
	else if (d->offset == offsetof(struct cr_options, show_version))
		ps->version = true;
	else if (d->offset == offsetof(struct cr_options, no_default_config))
		ps->no_default = true;
	else if (d->offset == offsetof(struct cr_options, config_files) && arg && *arg) {
		ps->configs[ps->nr_configs++] = arg;
		ps->no_default = true;
	}
	return 0;
}

static int prescan_word(struct walker *w, char *word)
{
	struct prescan *ps = (struct prescan *)w;

	if (!ps->first_word)
		ps->first_word = word;
	return 0;
}

/* ------------------------------------------------------------ the parse */

struct argv_parse {
	struct walker w;
	struct cr_options *o;
	struct opt_origin from;
	bool have_command;
	bool cpuinfo;
	char **words; /* words after the command */
	int nr_words;
};

static int parse_opt(struct walker *w, const struct opt_desc *d, bool neg, const char *arg, const char *shown)
{
	struct argv_parse *ap = (struct argv_parse *)w;

	return opt_apply(ap->o, d, neg, arg, &ap->from, shown, "");
}

static int parse_word(struct walker *w, char *word)
{
	struct argv_parse *ap = (struct argv_parse *)w;
	enum cr_command cmd;

	if (ap->have_command) {
		ap->words[ap->nr_words++] = word;
		return 0;
	}
	if (!strcmp(word, "exec")) {
		pr_err("the 'exec' command is obsolete: the compel library runs code in other tasks now\n");
		return -EINVAL;
	}
	if (!strcmp(word, "show")) {
		pr_err("the 'show' command is obsolete: use 'crit show IMAGE' to look into an image\n");
		return -EINVAL;
	}
	ap->have_command = true;
	if (!strcmp(word, "cpuinfo")) {
		ap->cpuinfo = true;
		return 0;
	}
	cmd = cr_command_lookup(word);
	if (cmd == CMD_NONE || cmd == CMD_CPUINFO_DUMP || cmd == CMD_CPUINFO_CHECK) {
		pr_err("unknown command '%s' (see criu --help)\n", word);
		return -EINVAL;
	}
	ap->o->command = cmd;
	return 0;
}

/* The words after the command: cpuinfo's action, swrk's fd, --exec-cmd's program. */
static int parse_command_words(struct argv_parse *ap)
{
	struct cr_options *o = ap->o;
	int first = 0;

	if (ap->cpuinfo) {
		if (!ap->nr_words) {
			pr_err("'cpuinfo' needs an action: 'cpuinfo dump' or 'cpuinfo check'\n");
			return -EINVAL;
		}
		if (!strcmp(ap->words[0], "dump"))
			o->command = CMD_CPUINFO_DUMP;
		else if (!strcmp(ap->words[0], "check"))
			o->command = CMD_CPUINFO_CHECK;
		else {
			pr_err("unknown cpuinfo action '%s': expected 'dump' or 'check'\n", ap->words[0]);
			return -EINVAL;
		}
		first = 1;
		if (ap->nr_words > 1 && !o->exec_cmd) {
			pr_err("unexpected argument '%s' after 'cpuinfo %s'\n", ap->words[1], ap->words[0]);
			return -EINVAL;
		}
	} else if (o->command == CMD_SWRK) {
		long long fd;

		if (!ap->nr_words) {
			pr_err("'swrk' needs the number of its socket: criu swrk FD\n");
			return -EINVAL;
		}
		if (opt_parse_int(ap->words[0], 0, INT_MAX, &fd)) {
			pr_err("invalid socket '%s' for 'swrk': expected a file descriptor number\n", ap->words[0]);
			return -EINVAL;
		}
		if (ap->nr_words > 1) {
			pr_err("unexpected argument '%s' after 'swrk %s'\n", ap->words[1], ap->words[0]);
			return -EINVAL;
		}
	} else if (ap->nr_words && !o->exec_cmd) {
		pr_err("unexpected argument '%s' after '%s'\n", ap->words[0], cr_command_name(o->command));
		return -EINVAL;
	}

	free(o->cmd_args);
	o->cmd_args = ap->words;
	o->nr_cmd_args = ap->nr_words;
	if (first) {
		memmove(o->cmd_args, o->cmd_args + first, (o->nr_cmd_args - first) * sizeof(char *));
		o->nr_cmd_args -= first;
	}
	ap->words = NULL;
	return 0;
}

int parse_argv(int argc, char **argv, struct cr_options *o)
{
	struct argv_parse ap = {
		.w = { .on_opt = parse_opt, .on_word = parse_word },
		.o = o,
		.from = { .file = OPT_FROM_CMDLINE, .rank = ++o->next_rank },
	};
	int ret;

	ap.words = xzalloc((argc + 1) * sizeof(char *));
	if (!ap.words)
		return -ENOMEM;
	ret = walk_argv(&ap.w, argc, argv);
	if (!ret && ap.have_command)
		ret = parse_command_words(&ap);
	free(ap.words);
	return ret;
}

int parse_options(int argc, char **argv, struct cr_options *o)
{
	struct prescan ps = { .w = { .lenient = true, .on_opt = prescan_opt, .on_word = prescan_word } };
	int ret;

	ps.configs = xzalloc((argc + 1) * sizeof(char *));
	if (!ps.configs)
		return -ENOMEM;
	walk_argv(&ps.w, argc, argv);

	/* --help and --version win over everything, even a broken config file. */
	if (ps.help || ps.help_md || ps.version) {
		o->show_help = ps.help;
		o->show_help_markdown = ps.help_md && !ps.help;
		o->show_version = ps.version && !ps.help && !ps.help_md;
		free(ps.configs);
		return 0;
	}

	/* swrk takes its options over RPC, config files included. */
	if (!ps.first_word || strcmp(ps.first_word, "swrk")) {
		ret = load_config_files(o, ps.no_default, ps.configs, ps.nr_configs);
		if (ret) {
			free(ps.configs);
			return ret;
		}
	}
	free(ps.configs);
	return parse_argv(argc, argv, o);
}

/* ------------------------------------------------------------ validation */

static const struct opt_desc *row_of(size_t offset)
{
	for (unsigned int i = 0; i < opt_table_size; i++)
		if (opt_table[i].offset == offset)
			return &opt_table[i];
	return NULL;
}

static const char *origin_text(const struct opt_origin *f, char *buf, size_t len)
{
	if (!f->file)
		snprintf(buf, len, "default");
	else if (f->line)
		snprintf(buf, len, "%s:%u", f->file, f->line);
	else
		snprintf(buf, len, "%s", f->file);
	return buf;
}

/*
 * Two options that cannot both hold: one source giving both is an error; if
 * they come from different sources, the later source wins, as for any value.
 */
static int resolve_pair(struct cr_options *o, size_t off_a, size_t off_b)
{
	const struct opt_desc *a = row_of(off_a), *b = row_of(off_b);
	struct opt_origin *fa = &o->origin[row_index(a)], *fb = &o->origin[row_index(b)];
	char wa[PATH_MAX + 32], wb[PATH_MAX + 32];

	if (!*FIELD_PTR(o, a, bool) || !*FIELD_PTR(o, b, bool))
		return 0;
	if (fa->rank == fb->rank) {
		pr_err("--%s (from %s) and --%s (from %s) contradict each other\n", a->name,
		       origin_text(fa, wa, sizeof(wa)), b->name, origin_text(fb, wb, sizeof(wb)));
		return -EINVAL;
	}
	if (fa->rank < fb->rank)
		*FIELD_PTR(o, a, bool) = false;
	else
		*FIELD_PTR(o, b, bool) = false;
	return 0;
}

int check_options(struct cr_options *o)
{
	if (o->command == CMD_NONE) {
		pr_err("no command given (see criu --help)\n");
		return -EINVAL;
	}
	if (o->restore_sibling && !o->restore_detach) {
		pr_err("--restore-sibling needs --restore-detached\n");
		return -EINVAL;
	}
	if (resolve_pair(o, offsetof(struct cr_options, leave_running), offsetof(struct cr_options, leave_stopped)))
		return -EINVAL;
	if (o->exec_cmd) {
		if (o->command != CMD_RESTORE) {
			pr_err("--exec-cmd works with 'restore' only\n");
			return -EINVAL;
		}
		if (o->restore_detach) {
			pr_err("--exec-cmd and --restore-detached contradict each other\n");
			return -EINVAL;
		}
		if (!o->nr_cmd_args) {
			pr_err("--exec-cmd needs a program after the command: criu restore --exec-cmd -- PROG ARGS\n");
			return -EINVAL;
		}
	}
	if (o->mntns_compat_mode && o->command != CMD_RESTORE) {
		pr_err("--mntns-compat-mode works with 'restore' only\n");
		return -EINVAL;
	}
	if (o->ps_socket >= 0 && o->ps_socket <= STDERR_FILENO && (o->daemon_mode || o->restore_detach)) {
		pr_err("--ps-socket %d cannot be used with --daemon: a daemon closes its standard descriptors\n",
		       o->ps_socket);
		return -EINVAL;
	}
	if (!o->deprecated_ok && getenv("CRIU_DEPRECATED"))
		o->deprecated_ok = true; /* as CRIU: the environment can allow them too */
	if (o->command == CMD_RESTORE && o->tree_id)
		pr_warn("-t/--tree is ignored by restore\n");
	if (o->command == CMD_RESTORE && o->restore_detach && o->leave_stopped && o->shell_job)
		pr_warn("a stopped, detached shell job gets SIGHUP from the kernel\n");
	return 0;
}

int opts_refuse_unbuilt(const struct cr_options *o)
{
	for (unsigned int i = 0; i < opt_table_size; i++) {
		const struct opt_desc *d = &opt_table[i];

		if (!(d->flags & OPT_UNBUILT) || !(d->cmds & CMD_BIT(o->command)) || !opt_is_set(o, d))
			continue;
		pr_err("--%s is not supported yet\n", d->name);
		return -ENOTSUP;
	}
	return 0;
}

/* ------------------------------------------------------------ help */

static void option_names(const struct opt_desc *d, char *buf, size_t len)
{
	size_t off = 0;

	if (d->short_name)
		off += snprintf(buf + off, len - off, "-%c, ", d->short_name);
	else
		off += snprintf(buf + off, len - off, "    ");
	off += snprintf(buf + off, len - off, "--%s", d->name);
	if (d->arg == ARG_REQUIRED)
		snprintf(buf + off, len - off, " %s", d->argname ? d->argname : "VALUE");
	else if (d->arg == ARG_OPTIONAL)
		snprintf(buf + off, len - off, "[=%s]", d->argname ? d->argname : "VALUE");
}

/* What the help line of a row adds to its text. */
static void option_notes(const struct opt_desc *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", d->kind == OPT_LIST ? " (repeatable)" : "",
		 d->flags & OPT_CLI_ONLY ? " (command line only)" : "");
}

void print_usage(FILE *f)
{
	char names[96], notes[64];

	fprintf(f, "Usage:\n"
		   "  criu COMMAND [OPTION...]    options may come before or after the command\n"
		   "  criu --help | --version\n"
		   "\nCommands:\n");
	for (int c = CMD_NONE + 1; c < CMD_MAX; c++)
		fprintf(f, "  %-16s %s\n", cr_command_name(c), cr_command_help(c));
	fprintf(f, "\nBoolean options also take a \"no-\" prefix (--no-shell-job) that switches them off.\n"
		   "Options are also read from config files: see criu(8) and Documentation/config.md.\n"
		   "* marks options that are parsed but not supported yet: commands they apply to refuse them.\n");
	for (int g = 0; g < GRP_MAX; g++) {
		fprintf(f, "\n%s:\n", opt_group_title[g]);
		for (unsigned int i = 0; i < opt_table_size; i++) {
			const struct opt_desc *d = &opt_table[i];
			const char *mark = d->flags & OPT_UNBUILT ? "* " : "  ";

			if ((int)d->group != g)
				continue;
			option_names(d, names, sizeof(names));
			option_notes(d, notes, sizeof(notes));
			if (strlen(names) > 32)
				fprintf(f, "  %s\n  %-32s %s%s%s\n", names, "", mark, d->help, notes);
			else
				fprintf(f, "  %-32s %s%s%s\n", names, mark, d->help, notes);
		}
	}
}

static void commands_list(unsigned int cmds, char *buf, size_t len)
{
	size_t off = 0;

	if (cmds == CMDS_ALL) {
		snprintf(buf, len, "all");
		return;
	}
	buf[0] = 0;
	for (int c = CMD_NONE + 1; c < CMD_MAX && off < len; c++)
		if (cmds & CMD_BIT(c))
			off += snprintf(buf + off, len - off, "%s%s", off ? ", " : "", cr_command_name(c));
}

void print_options_markdown(FILE *f)
{
	char names[96], notes[64], cmds[256];

	fprintf(f, "### Commands\n\n");
	for (int c = CMD_NONE + 1; c < CMD_MAX; c++)
		fprintf(f, "- **%s**: %s.\n", cr_command_name(c), cr_command_help(c));
	for (int g = 0; g < GRP_MAX; g++) {
		fprintf(f, "\n### %s\n\n", opt_group_title[g]);
		for (unsigned int i = 0; i < opt_table_size; i++) {
			const struct opt_desc *d = &opt_table[i];

			if ((int)d->group != g)
				continue;
			option_names(d, names, sizeof(names));
			option_notes(d, notes, sizeof(notes));
			commands_list(d->cmds, cmds, sizeof(cmds));
			fprintf(f, "- `%s`: %s%s. Commands: %s.%s\n", names + (d->short_name ? 0 : 4), d->help, notes,
				cmds, d->flags & OPT_UNBUILT ? " *Not supported yet.*" : "");
		}
	}
}

void print_version(void)
{
	printf("Version: %s\n", CRIU_VERSION);
	if (strcmp(CRIU_GITID, "0") && strcmp(CRIU_GITID, "none") && *CRIU_GITID)
		printf("GitID: %s\n", CRIU_GITID);
}

/* ------------------------------------------------------------ -v4 report */

static void show_value(const struct cr_options *o, const struct opt_desc *d, char *buf, size_t len)
{
	if (d->show) {
		d->show(o, buf, len);
		return;
	}
	switch (d->kind) {
	case OPT_BOOL:
	case OPT_FLAG:
		snprintf(buf, len, "%s", *FIELD_CPTR(o, d, bool) ? "yes" : "no");
		break;
	case OPT_INT:
		snprintf(buf, len, "%d", *FIELD_CPTR(o, d, int));
		break;
	case OPT_SIZE:
		snprintf(buf, len, "%llu", (unsigned long long)*FIELD_CPTR(o, d, uint64_t));
		break;
	case OPT_STRING:
	case OPT_PATH:
		snprintf(buf, len, "%s", *FIELD_CPTR(o, d, char *) ?: "(none)");
		break;
	case OPT_ENUM:
		snprintf(buf, len, "%s", d->words[*FIELD_CPTR(o, d, int)]);
		break;
	case OPT_LIST:
		buf[0] = 0;
		break;
	}
}

void opts_log_report(const struct cr_options *o)
{
	char value[PATH_MAX + 16], where[PATH_MAX + 32];

	for (unsigned int i = 0; i < o->nr_cfg_report; i++) {
		const struct cfg_report *r = &o->cfg_report[i];
		static const char *const what[] = {
			[CFG_READ] = "read",
			[CFG_ABSENT] = "absent",
			[CFG_SKIPPED] = "skipped (--config or --no-default-config given)",
			[CFG_NO_HOME] = "skipped ($HOME is not set)",
		};

		pr_debug("Config file %s: %s\n", r->path, what[r->status]);
	}
	for (unsigned int i = 0; i < opt_table_size; i++) {
		const struct opt_desc *d = &opt_table[i];

		if (!opt_is_set(o, d))
			continue;
		if (d->kind == OPT_LIST) {
			const struct opt_list *l = FIELD_CPTR(o, d, struct opt_list);

			for (unsigned int k = 0; k < l->n; k++)
				pr_debug("Option %s = %s (from %s)\n", d->name, l->v[k],
					 origin_text(&l->from[k], where, sizeof(where)));
			continue;
		}
		show_value(o, d, value, sizeof(value));
		pr_debug("Option %s = %s (from %s)\n", d->name, value,
			 origin_text(&o->origin[i], where, sizeof(where)));
	}
	for (unsigned int k = 0; k < o->ext_unix_sk_ids.n; k++)
		pr_debug("Option ext-unix-sk = %s (from %s)\n", o->ext_unix_sk_ids.v[k],
			 origin_text(&o->ext_unix_sk_ids.from[k], where, sizeof(where)));
}

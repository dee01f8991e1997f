/*
 * Config files: finding them, splitting their lines into words, and feeding
 * each line through the option table as the command line is (opt_apply), so
 * an option behaves the same in both.  The rules are in config.h and
 * Documentation/config.md.
 *
 * Unlike the command line, a line is "NAME ARGUMENT": the word after the
 * name is its argument even when the argument is optional ("verbosity 4").
 */
#include <ctype.h>
#include <limits.h>
#include <sys/stat.h>

#include "config.h"
#include "log.h"

/* ------------------------------------------------------------ splitting */

struct strbuf {
	char *s;
	size_t len, cap;
};

static int sb_add(struct strbuf *b, char c)
{
	if (b->len + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		char *s = xrealloc(b->s, cap);

		if (!s)
			return -ENOMEM;
		b->s = s;
		b->cap = cap;
	}
	b->s[b->len++] = c;
	b->s[b->len] = 0;
	return 0;
}

void config_free_words(char **words, int n)
{
	for (int i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

/* A quoted word starting after the opening quote at *p; leaves *p after the closing one. */
static int read_quoted(const char **pp, struct strbuf *b, const char **why)
{
	const char *p = *pp;

	for (;;) {
		if (!*p || *p == '\n') {
			*why = "unterminated quote";
			return -EINVAL;
		}
		if (p[0] == '\\' && p[1] == '"') {
			if (sb_add(b, '"'))
				return -ENOMEM;
			p += 2;
			continue;
		}
		if (*p == '"') {
			p++;
			break;
		}
		if (sb_add(b, *p++))
			return -ENOMEM;
	}
	if (*p && !isspace((unsigned char)*p)) {
		*why = "unexpected text after a closing quote";
		return -EINVAL;
	}
	*pp = p;
	return 0;
}

int config_split_line(const char *line, char ***words_out, const char **why)
{
	char **words = NULL;
	const char *p = line;
	int n = 0, ret;

	for (;;) {
		struct strbuf b = {};
		char **w;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			break;
		if (*p == '"') {
			p++;
			ret = read_quoted(&p, &b, why);
			if (!ret && !b.s)
				ret = sb_add(&b, 0); /* "" is an empty word */
		} else {
			ret = 0;
			while (*p && !isspace((unsigned char)*p) && !ret)
				ret = sb_add(&b, *p++);
		}
		if (ret) {
			free(b.s);
			goto err;
		}
		w = xrealloc(words, (n + 1) * sizeof(*words));
		if (!w) {
			free(b.s);
			ret = -ENOMEM;
			goto err;
		}
		words = w;
		words[n++] = b.s;
	}
	*words_out = words;
	return n;
err:
	config_free_words(words, n);
	*words_out = NULL;
	return ret;
}

/* ------------------------------------------------------------ one line */

int parse_config_line(struct cr_options *o, const char *line, const char *file, unsigned int lineno, unsigned int rank)
{
	struct opt_origin from = { .file = file, .line = lineno, .rank = rank };
	char where[PATH_MAX + 32], shown[128];
	const struct opt_desc *d;
	const char *why, *eq, *arg;
	char **words;
	bool neg = false;
	int n, ret = -EINVAL, used;
	size_t len;

	snprintf(where, sizeof(where), "%s:%u: ", file, lineno);
	n = config_split_line(line, &words, &why);
	if (n == -ENOMEM)
		return n;
	if (n < 0) {
		pr_err("%s%s\n", where, why);
		return -EINVAL;
	}
	if (!n)
		return 0;

	if (!opt_lookup(words[0]) && cr_is_command_word(words[0])) { /* page-server is both */
		pr_err("%s'%s' is a command: commands are not allowed in a config file\n", where, words[0]);
		goto out;
	}
	if (words[0][0] == '-') {
		pr_err("%sunexpected '%s': write the option's long name without dashes\n", where, words[0]);
		goto out;
	}
	eq = strchr(words[0], '=');
	len = eq ? (size_t)(eq - words[0]) : strlen(words[0]);
	d = opt_match(words[0], len, &neg, where, "");
	if (!d)
		goto out;
	snprintf(shown, sizeof(shown), "%.*s", (int)len, words[0]);
	if (d->flags & OPT_CLI_ONLY) {
		pr_err("%s'%s' is not allowed in a config file\n", where, shown);
		goto out;
	}

	used = 1;
	arg = NULL;
	if (eq)
		arg = eq + 1;
	else if (n > 1)
		arg = words[used++];
	if (arg && !eq && d->arg == ARG_NONE && cr_is_command_word(arg))
		used--; /* "tcp-established dump": say it is a command */
	if (n > used) {
		if (cr_is_command_word(words[used]))
			pr_err("%s'%s' is a command: commands are not allowed in a config file\n", where, words[used]);
		else
			pr_err("%sunexpected '%s' after '%s': one option per line\n", where, words[used], words[0]);
		goto out;
	}
	ret = opt_apply(o, d, neg, arg, &from, shown, where);
out:
	config_free_words(words, n);
	return ret;
}

/* ------------------------------------------------------------ one file */

static struct cfg_report *report_add(struct cr_options *o, const char *path, enum cfg_status status)
{
	struct cfg_report *r = xrealloc(o->cfg_report, (o->nr_cfg_report + 1) * sizeof(*r));

	if (!r)
		return NULL;
	o->cfg_report = r;
	r = &o->cfg_report[o->nr_cfg_report];
	r->path = xstrdup(path);
	if (!r->path)
		return NULL;
	r->status = status;
	o->nr_cfg_report++;
	return r;
}

int parse_config_file(const char *path, struct cr_options *o)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	const struct cfg_report *r;
	const char *file;
	unsigned int lineno = 0, rank;
	size_t cap = 0;
	struct stat st;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;

	r = report_add(o, path, CFG_READ);
	if (!r)
		return -ENOMEM;
	file = r->path; /* stays put when o->cfg_report grows */
	rank = ++o->next_rank;
	while (getline(&line, &cap, f) >= 0) {
		int ret = parse_config_line(o, line, file, ++lineno, rank);

		if (ret)
			return ret;
	}
	if (ferror(f))
		return -EIO;
	return 0;
}

/* ------------------------------------------------------------ the sources */

char *config_global_path(void)
{
	const char *etc = getenv("CRIU_SYSCONFDIR");

	if (!etc || !*etc)
		etc = "/etc";
	return xsprintf("%s/criu/default.conf", etc);
}

char *config_user_path(void)
{
	const char *home = getenv("HOME");

	if (!home || !*home)
		return NULL;
	return xsprintf("%s/.criu/default.conf", home);
}

/* A default file: absent is fine, anything else wrong is an error. */
static int load_default(struct cr_options *o, const char *path)
{
	int ret = parse_config_file(path, o);

	if (ret == -ENOENT || ret == -ENOTDIR)
		return report_add(o, path, CFG_ABSENT) ? 0 : -ENOMEM;
	if (ret && ret != -EINVAL && ret != -ENOMEM)
		pr_err("can't read config file %s: %s\n", path, strerror(-ret));
	return ret;
}

/* A file the user named: it must be there. */
static int load_named(struct cr_options *o, const char *path, const char *named_by)
{
	int ret = parse_config_file(path, o);

	if (ret && ret != -EINVAL && ret != -ENOMEM)
		pr_err("can't read config file %s (%s): %s\n", path, named_by, strerror(-ret));
	return ret;
}

int load_config_files(struct cr_options *o, bool no_default, const char *const *configs, int nr_configs)
{
	_cleanup_free_ char *global = config_global_path();
	_cleanup_free_ char *user = config_user_path();
	const char *env = getenv("CRIU_CONFIG_FILE");
	int ret;

	if (!global)
		return -ENOMEM;
	if (no_default) {
		if (!report_add(o, global, CFG_SKIPPED))
			return -ENOMEM;
		if (user && !report_add(o, user, CFG_SKIPPED))
			return -ENOMEM;
	} else {
		ret = load_default(o, global);
		if (ret)
			return ret;
		if (!user) {
			if (!report_add(o, "$HOME/.criu/default.conf", CFG_NO_HOME))
				return -ENOMEM;
		} else {
			ret = load_default(o, user);
			if (ret)
				return ret;
		}
	}
	if (env && *env) {
		ret = load_named(o, env, "from $CRIU_CONFIG_FILE");
		if (ret)
			return ret;
	}
	for (int i = 0; i < nr_configs; i++) {
		ret = load_named(o, configs[i], "from --config");
		if (ret)
			return ret;
	}
	return 0;
}

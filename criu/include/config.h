/*
 * Config files: the same options as the command line, one per line.
 *
 * Sources, read in this order, each later one overriding the earlier ones
 * (list options accumulate), before the command line:
 *   1. $CRIU_SYSCONFDIR/criu/default.conf   (CRIU_SYSCONFDIR defaults to /etc;
 *                                           tests point it elsewhere)
 *   2. $HOME/.criu/default.conf
 *   3. the file named by $CRIU_CONFIG_FILE
 *   4. each --config FILE, in command-line order
 * --no-default-config or --config skips 1 and 2.  1 and 2 may be absent;
 * 3 and 4 must exist.
 *
 * A line: OPTION [ARGUMENT], the option's long name without "--" (or
 * OPTION=ARGUMENT); "#" at the start of a word starts a comment; an argument
 * with whitespace goes in double quotes, where \" is a quote and any other
 * backslash stays as written.  See Documentation/config.md.
 */
#ifndef CRIU_CONFIG_H
#define CRIU_CONFIG_H

#include "cr_options.h"

/*
 * Split one line into words (comments dropped, quotes resolved).  Returns
 * the number of words, stored in *words (free with config_free_words()), or
 * -EINVAL with *why saying what is wrong ("unterminated quote"), or -ENOMEM.
 */
int config_split_line(const char *line, char ***words, const char **why);
void config_free_words(char **words, int n);

/*
 * Apply one line of @file (for messages and origins: @file must outlive @o)
 * with source rank @rank.  0 or -EINVAL after one "FILE:LINE: ..." error.
 */
int parse_config_line(struct cr_options *o, const char *line, const char *file, unsigned int lineno, unsigned int rank);

/*
 * Read one config file into @o.  -ENOENT/-ENOTDIR (silently) when it does
 * not exist, another -errno (silently) when it cannot be read, -EINVAL after
 * an error line when a line is wrong, 0 when all went in.
 */
int parse_config_file(const char *path, struct cr_options *o);

/* Read the config files in their order (see above). 0 or a -errno after an error line. */
int load_config_files(struct cr_options *o, bool no_default, const char *const *configs, int nr_configs);

/* Paths of the default files (malloc'd; the user one is NULL without $HOME). */
char *config_global_path(void);
char *config_user_path(void);

#endif /* CRIU_CONFIG_H */

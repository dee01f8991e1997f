/* Placeholder main; replaced by the options/commands work. */
#include "log.h"
#include "version.h"

int main(int argc, char **argv)
{
	if (log_init(NULL))
		return 1;
	pr_msg("Version: %s\n", CRIU_VERSION);
	return 0;
}

/* The robust futex list and clear_child_tid: the test points both at its
 * own variables; after restore the kernel still has them. */
#include <linux/futex.h>
#include <sys/prctl.h>
#include "crtest.h"

static struct robust_list_head head = { .list = { &head.list } };
static int tid_word;

int main(int argc, char **argv)
{
	void *h = NULL;
	size_t len = 0;
	int *t = NULL;

	crtest_init(argc, argv);
	if (syscall(SYS_set_robust_list, &head, sizeof(head)))
		crtest_fail("set_robust_list: %m");
	syscall(SYS_set_tid_address, &tid_word);

	crtest_ready();
	crtest_wait();

	if (syscall(SYS_get_robust_list, 0, &h, &len) || h != &head || len != sizeof(head))
		crtest_fail("robust list %p/%zu, want %p/%zu", h, len, (void *)&head, sizeof(head));
	if (prctl(PR_GET_TID_ADDRESS, &t) || t != &tid_word)
		crtest_fail("clear_child_tid %p, want %p", (void *)t, (void *)&tid_word);
	crtest_pass();
}

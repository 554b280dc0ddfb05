/* The shared budget of aws calls (core/share.c): a process with nothing in
 * flight may always start one, others wait within the budget; throttling
 * halves it (once a burst), a round of calls through wins one back; and
 * the budget is one across processes forked after it was made. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "share.h"
#include "tap.h"

int main(void)
{
	int i, took, st;
	pid_t pid;

	plan(9);
	ok(share_take(5) == 1, "before share_init: no budget, every call may start");
	share_init(4);
	share_init(9); /* later runs keep what was learnt */
	ok(share_limit() == 4, "the budget is --jobs, set once");
	for (took = 0; share_take((size_t)took); took++)
		;
	ok(took == 4, "four calls at once, not a fifth (%d)", took);
	ok(share_take(0) == 1, "... but a process with none in flight starts one anyway");
	share_give();
	share_note(1);
	share_note(1);
	ok(share_limit() == 2, "throttled twice at once: halved once, to 2 (%d)", share_limit());
	for (i = 0; i < 2; i++)
		share_note(0);
	ok(share_limit() == 3, "a round of 2 calls through: back up to 3 (%d)", share_limit());
	for (i = 0; i < 4; i++)
		share_give();
	pid = fork();
	if (pid == 0)
		_exit(share_take(1) && share_take(1) && share_take(1) && !share_take(1) ? 0 : 1);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "another process takes 3 of the 3 allowed");
	ok(share_take(1) == 0, "... and this one sees them taken");
	for (i = 0; i < 3; i++)
		share_give();
	ok(share_take(1) == 1, "given back: one may start");
	return done();
}

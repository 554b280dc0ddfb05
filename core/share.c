/* One budget of aws calls at once across environments; see share.h. */
#include <sys/mman.h>

#include "i18n.h"
#include "log.h"
#include "run.h"
#include "share.h"

/* A burst of throttled answers to calls that were in flight together is
 * one signal, not one per call: the budget is cut at most this often. */
#define CUT_EVERY_MS 1000

struct share {
	int max;        /* --jobs */
	int limit;      /* allowed now: max, or less after throttling */
	int in_flight;  /* across every process */
	int ok;         /* calls through since the last change */
	long cut_ms;    /* run_now_ms() of the last cut (CLOCK_MONOTONIC: one clock for all) */
};

static struct share *sh, local;

void share_init(int jobs)
{
	void *m;

	if (sh)
		return;
	m = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	sh = m == MAP_FAILED ? &local : m; /* in-process still adapts */
	sh->max = sh->limit = jobs > 0 ? jobs : 1;
	sh->cut_ms = run_now_ms() - CUT_EVERY_MS;
}

int share_take(size_t mine)
{
	int cur;

	if (!sh)
		return 1;
	if (mine == 0) {
		__atomic_add_fetch(&sh->in_flight, 1, __ATOMIC_SEQ_CST);
		return 1;
	}
	cur = __atomic_load_n(&sh->in_flight, __ATOMIC_SEQ_CST);
	do {
		if (cur >= __atomic_load_n(&sh->limit, __ATOMIC_SEQ_CST))
			return 0;
	} while (!__atomic_compare_exchange_n(&sh->in_flight, &cur, cur + 1, 0, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	return 1;
}

void share_give(void)
{
	if (sh)
		__atomic_sub_fetch(&sh->in_flight, 1, __ATOMIC_SEQ_CST);
}

int share_limit(void)
{
	return sh ? __atomic_load_n(&sh->limit, __ATOMIC_SEQ_CST) : 0;
}

void share_note(int throttled)
{
	long now = run_now_ms(), last;
	int limit, ok;

	if (!sh)
		return;
	limit = __atomic_load_n(&sh->limit, __ATOMIC_SEQ_CST);
	if (throttled) {
		last = __atomic_load_n(&sh->cut_ms, __ATOMIC_SEQ_CST);
		if (now - last < CUT_EVERY_MS || limit <= 1 ||
		    !__atomic_compare_exchange_n(&sh->cut_ms, &last, now, 0, __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			return;
		__atomic_store_n(&sh->ok, 0, __ATOMIC_SEQ_CST);
		if (__atomic_compare_exchange_n(&sh->limit, &limit, limit > 1 ? limit / 2 : 1, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			log_msg(AWSPHASE_LOG_VERBOSE, _("AWS is throttling: aws calls at once cut to %d "
							"(of %d)"), limit / 2, sh->max);
		return;
	}
	if (limit >= sh->max)
		return;
	/* a round of calls through at this level earns one more */
	ok = __atomic_add_fetch(&sh->ok, 1, __ATOMIC_SEQ_CST);
	if (ok < limit || !__atomic_compare_exchange_n(&sh->ok, &ok, 0, 0, __ATOMIC_SEQ_CST,
						      __ATOMIC_SEQ_CST))
		return;
	if (__atomic_compare_exchange_n(&sh->limit, &limit, limit + 1, 0, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST))
		log_msg(AWSPHASE_LOG_VERBOSE, _("aws calls at once back up to %d (of %d)"), limit + 1,
			sh->max);
}

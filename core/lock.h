/* The env file's advisory lock, so that two awsphase runs do not change
 * one stack at once.  It is a POSIX record lock on ENV.lock beside the env
 * file: the env file itself is replaced by a rename on every write
 * (envfile-write.c), so a lock on it would be held on a file that is no
 * longer the env file.  The lock file holds the holder's pid, for people;
 * awsphase asks the kernel (F_GETLK).  It is left in place: removing it
 * would race with a run that has just opened it. */
#ifndef AWSPHASE_LOCK_H
#define AWSPHASE_LOCK_H

/* Takes the lock of env_file, or counts one more taker when this process
 * holds it (awsphase up holds it for every phase).  Another run holding
 * it: wait (a progress line on a terminal, one line otherwise) up to
 * timeout_s, or with wait 0 refuse at once.  No env file, or one this
 * user may not read: nothing to guard, 0 (the action reports it).  Returns 0, or after
 * reporting AWSPHASE_EXIT_LOCKED (wait 0), AWSPHASE_EXIT_TIMEOUT,
 * AWSPHASE_EXIT_USAGE (no lock file can be opened or locked) or
 * AWSPHASE_EXIT_INTERRUPTED. */
int lock_take(const char *env_file, int wait, double timeout_s);
/* Undoes one lock_take that returned 0; the last one lets the lock go. */
void lock_release(void);

#endif

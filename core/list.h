/* awsphase list: the phases (modules) found, their aliases and actions. */
#ifndef AWSPHASE_LIST_H
#define AWSPHASE_LIST_H

/* Prints them on stdout: as text for people, or (json) as one document with
 * every global option and each action's, which bash completion reads; there
 * a module's words stay as written.  Returns 0. */
int list_modules(int json);

#endif

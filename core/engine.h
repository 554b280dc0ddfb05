/* The resource engine, as the host offers it to modules (h->engine; the
 * contract is include/awsphase/engine.h). */
#ifndef AWSPHASE_CORE_ENGINE_H
#define AWSPHASE_CORE_ENGINE_H

#include "awsphase/engine.h"

const struct awsphase_engine *engine_services(void);
/* msgid looked up with kind as its gettext context, else alone. */
const char *engine_text_for(const char *kind, const char *msgid);

#endif

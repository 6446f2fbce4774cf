/* What the session's files share inside src/run. */
#ifndef COUNTERSIGN_SESSION_INTERNAL_H
#define COUNTERSIGN_SESSION_INTERNAL_H

#include "countersign/store.h"

/* A store status as a session outcome: not found is bad input (CS_INVALID),
 * a conflict or a refusal CS_REFUSED, a failure CS_ENV. */
int session_outcome(enum store_status rc);

#endif

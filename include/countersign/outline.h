/* A readable outline of a checklist: sections by phase, gates, items. */
#ifndef COUNTERSIGN_OUTLINE_H
#define COUNTERSIGN_OUTLINE_H

#include <stdio.h>

#include "countersign/checklist.h"

/* Writes the outline of CL to OUT. */
void outline_print(const struct checklist *cl, FILE *out);

#endif

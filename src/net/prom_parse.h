/* Reading a Prometheus /api/v1/query answer into one sample value, and
 * judging it against a threshold. Pure: no I/O. */
#ifndef COUNTERSIGN_PROM_PARSE_H
#define COUNTERSIGN_PROM_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "countersign/checklist.h"

/* Series kept in a sample's evidence when a query returns several. */
#define PROM_SERIES_KEPT 20

enum prom_outcome {
	PROM_VALUE,    /* VALUE is a finite number */
	PROM_NO_DATA,  /* empty result, NaN or Inf: MESSAGE says which */
	PROM_ERROR,    /* the answer cannot be used: MESSAGE says why */
};

struct prom_sample {
	enum prom_outcome outcome;
	double value;
	char *value_text;      /* as Prometheus wrote it (the reduced value printed
	                          when several series were combined); may be NULL */
	double eval_time;      /* Unix seconds of the evaluation; 0 when unknown */
	int n_series;          /* 1 for a scalar */
	char *result_type;     /* "vector", "scalar", ... or NULL */
	char *message;         /* PROM_NO_DATA and PROM_ERROR */
	cJSON *series;         /* array of {"labels": {...}, "value": "..."} (at most
	                          PROM_SERIES_KEPT) for vectors; may be NULL */
};

/* Parses BODY (LEN bytes, NUL-terminated) answered with HTTP STATUS,
 * combining several series with REDUCE (REDUCE_NONE: several series are an
 * error). Always fills OUT; release with prom_sample_clear. */
void prom_parse(const char *body, size_t len, long status, enum checklist_prom_reduce reduce,
	struct prom_sample *out);
void prom_sample_clear(struct prom_sample *s);

/* Parses a sample value string ("0.5", "NaN", "+Inf"). */
bool prom_parse_value(const char *text, double *out);
/* Combines N values (N > 0). */
double prom_reduce_values(enum checklist_prom_reduce reduce, const double *v, size_t n);
const char *prom_reduce_name(enum checklist_prom_reduce reduce);

/* Whether V meets the threshold: below HI, above LO, or between LO and HI
 * inclusive. */
bool prom_passes(enum checklist_prom_compare cmp, double lo, double hi, double v);
/* "below 0.01", "above 5", "between 0.5 and 0.8" (malloc'd). */
char *prom_threshold_text(enum checklist_prom_compare cmp, double lo, double hi);

#endif

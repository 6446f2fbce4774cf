/* The completion report's model: built once from a loaded run, rendered in
 * four formats (report_md.c, report_json.c, report_html.c, report_junit.c). */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "countersign/clock.h"
#include "countersign/duration.h"
#include "countersign/sanitize.h"
#include "countersign/util.h"
#include "report/report_internal.h"
#include "report/report_model_internal.h"

static const char *const format_names[] = {
	[REPORT_MD] = "md", [REPORT_JSON] = "json", [REPORT_HTML] = "html", [REPORT_JUNIT] = "junit",
};

bool report_format_parse(const char *name, enum report_format *out)
{
	for (size_t f = 0; name && f < sizeof(format_names) / sizeof(format_names[0]); f++) {
		if (strcmp(name, format_names[f]) == 0) {
			*out = (enum report_format)f;
			return true;
		}
	}
	return false;
}

const char *report_format_name(enum report_format f)
{
	assert((size_t)f < sizeof(format_names) / sizeof(format_names[0]));
	return format_names[f];
}

char *report_clean(const char *s)
{
	return s ? sanitize_text(s, strlen(s), 0) : xstrdup("");
}

char *report_clean_text(const char *s)
{
	return s ? sanitize_text(s, strlen(s), SANITIZE_MULTILINE) : xstrdup("");
}

char *report_full_name(const struct report_ctx *c, const char *engineer)
{
	for (size_t k = 0; engineer && k < c->n_engs; k++)
		if (strcmp(c->engs[k].name, engineer) == 0)
			return report_clean(c->engs[k].full_name);
	return xstrdup("");
}

/* The variables as the run recorded them (secrets are "***" there), in
 * their recorded order; secret: as the checklist declares the name. */
static void build_variables(struct report_ctx *c)
{
	struct report *r = c->r;
	cJSON *vars = cJSON_Parse(engine_variables_json(c->s->eng));
	int n = cJSON_IsObject(vars) ? cJSON_GetArraySize(vars) : 0;
	r->variables = xcalloc(n > 0 ? (size_t)n : 1, sizeof(*r->variables));
	const cJSON *v, *obj = n > 0 ? vars : NULL;
	cJSON_ArrayForEach(v, obj) {
		const struct checklist_variable *decl = checklist_variable(c->s->cl, v->string);
		struct report_variable *rv = &r->variables[r->n_variables++];
		rv->name = report_clean(v->string);
		rv->secret = decl && decl->secret;
		/* the record never holds a secret; "***" even if an older one did */
		rv->value = rv->secret ? xstrdup("***") : report_clean_text(cJSON_IsString(v) ? v->valuestring : "");
	}
	cJSON_Delete(vars);
}

static void build_run(struct report_ctx *c)
{
	struct session *s = c->s;
	struct report *r = c->r;
	assert(c->n_evs > 0);  /* evs[0] is the run_started the engine folded first */
	r->checklist_title = report_clean(s->cl->title);
	r->checklist_id = report_clean(s->cl->id);
	r->checklist_sha256 = report_clean(s->run.checklist_sha);
	r->run_id = report_clean(s->run.id);
	r->title = report_clean(s->run.title);
	r->state = xstrdup(engine_run_status_name(engine_status(s->eng)));
	r->started_us = engine_started_us(s->eng) ? engine_started_us(s->eng) : s->run.started_us;
	r->ended_us = engine_status(s->eng) == RUN_OPEN ? 0 : engine_ended_us(s->eng);
	r->abort_reason = report_clean_text(engine_abort_reason(s->eng));
	r->aborted_by = report_clean(engine_abort_actor(s->eng));
	r->started_by = report_clean(c->evs[0].actor);
	size_t cur = engine_current_section(s->eng);
	r->current_section = report_clean(engine_status(s->eng) == RUN_OPEN && cur != (size_t)-1 ?
		s->cl->sections[cur].id : NULL);
	r->window_ms = s->cl->window_ms;
	r->window_started_us = s->cl->window_ms ? engine_window_started_us(s->eng) : 0;
	r->window_starts_at = report_clean(s->cl->window_starts_at);
	r->generator = xstrdup("countersign " COUNTERSIGN_VERSION);
	build_variables(c);
}

/* The run's chain, cut to the events the engine has folded: another
 * process may have recorded more since the run was loaded. */
static int load_events(struct report_ctx *c, char **err)
{
	int rc = session_chain_events(c->s, c->s->run.id, 0, &c->evs, &c->n_evs);
	if (rc != CS_OK) {
		*err = xasprintf("cannot read the record of run %s: %s", c->s->run.id, session_store_error(c->s));
		return rc;
	}
	int64_t folded = engine_last_seq(c->s->eng);
	if (c->n_evs == 0 || (int64_t)c->n_evs < folded) {
		*err = xasprintf("the record of run %s holds %zu events, fewer than the %lld just read; "
			"run 'countersign verify %s'", c->s->run.id, c->n_evs, (long long)folded, c->s->run.id);
		return CS_ENV;
	}
	while ((int64_t)c->n_evs > folded)
		event_clear(&c->evs[--c->n_evs]);
	return CS_OK;
}

struct report *report_build(struct session *s, char **err)
{
	assert(s && s->have_run && s->eng && s->cl && err);
	*err = NULL;
	struct report *r = xcalloc(1, sizeof(*r));
	struct report_ctx c = {.s = s, .r = r};
	r->generated_us = clock_wall_us();
	int rc = load_events(&c, err);
	if (rc == CS_OK && session_engineers(s, &c.engs, &c.n_engs) != CS_OK) {
		*err = xasprintf("cannot read the engineers: %s", session_store_error(s));
		rc = CS_ENV;
	}
	if (rc == CS_OK) {
		build_run(&c);
		report_build_sections(&c);
		report_build_record(&c);
		rc = report_build_pin_failures(&c, err);
	}
	if (rc == CS_OK)
		rc = report_build_anchor(&c, err);
	event_array_free(c.evs, c.n_evs);
	for (size_t k = 0; k < c.n_engs; k++)
		store_engineer_clear(&c.engs[k]);
	free(c.engs);
	if (rc != CS_OK) {
		report_destroy(r);
		return NULL;
	}
	return r;
}

void report_destroy(struct report *r)
{
	if (!r)
		return;
	free(r->checklist_title);
	free(r->checklist_id);
	free(r->checklist_sha256);
	free(r->run_id);
	free(r->title);
	free(r->state);
	free(r->abort_reason);
	free(r->aborted_by);
	free(r->started_by);
	free(r->current_section);
	for (size_t k = 0; k < r->n_variables; k++) {
		free(r->variables[k].name);
		free(r->variables[k].value);
	}
	free(r->variables);
	free(r->window_starts_at);
	report_sections_free(r);
	report_record_free(r);
	free(r->verify_message);
	free(r->checkpoint);
	free(r->generator);
	free(r);
}

bool report_write(const struct report *r, enum report_format format, FILE *out)
{
	assert(r && out);
	switch (format) {
	case REPORT_MD: return report_write_md(r, out);
	case REPORT_JSON: return report_write_json(r, out);
	case REPORT_HTML: return report_write_html(r, out);
	case REPORT_JUNIT: return report_write_junit(r, out);
	}
	return false;
}

/* --- helpers every rendering shares (report_internal.h) --- */

void report_time_text(int64_t t_us, char *buf, size_t size)
{
	if (!t_us) {
		buf[0] = '\0';
		return;
	}
	clock_format_utc(t_us, buf, size);
}

void report_time_iso(int64_t t_us, char *buf, size_t size)
{
	buf[0] = '\0';
	if (t_us)
		clock_format_iso(t_us, 0, buf, size);
}

void report_duration_text(int64_t ms, char *buf, size_t size)
{
	if (ms < 0)
		snprintf(buf, size, "-");
	else if (ms < 1000)
		snprintf(buf, size, "%lldms", (long long)ms);
	else
		duration_format(ms / 1000 * 1000, buf, size);
}

int64_t report_us_after(int64_t t_us, int64_t ms)
{
	assert(ms >= 0);
	int64_t room = t_us > 0 ? INT64_MAX - t_us : INT64_MAX;
	if (ms > room / 1000)
		return INT64_MAX;
	return t_us + ms * 1000;
}

const struct report_waiver *report_waiver_of(const struct report *r, const char *section, const char *item)
{
	size_t ls = strlen(section);
	for (size_t k = r->n_waivers; k-- > 0;) {
		const char *t = r->waivers[k].target;
		if (strncmp(t, section, ls) == 0 && t[ls] == '/' && strcmp(t + ls + 1, item) == 0)
			return &r->waivers[k];
	}
	return NULL;
}

const struct report_override *report_override_of(const struct report *r, const char *section)
{
	for (size_t k = r->n_overrides; k-- > 0;)
		if (strcmp(r->overrides[k].section, section) == 0)
			return &r->overrides[k];
	return NULL;
}

bool report_verdict_failed(const char *verdict)
{
	static const char *const failed[] = {"fail", "error", "no_data", "timeout", "cancelled"};
	for (size_t k = 0; k < sizeof(failed) / sizeof(failed[0]); k++)
		if (strcmp(verdict, failed[k]) == 0)
			return true;
	return false;
}

char *report_verify_command(const struct report *r)
{
	return xasprintf("countersign verify %s --anchor %s", r->run_id, r->head);
}

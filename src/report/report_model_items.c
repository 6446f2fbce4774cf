/* The report's sections: each gate's result, each item's counted verdict
 * with its attempt, exit or HTTP status and the end of its output, and the
 * signatures with who, where and whether they still count. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/sanitize.h"
#include "countersign/utf8.h"
#include "countersign/util.h"
#include "report/report_model_internal.h"

static const char *gate_name(const struct checklist_section *sec, const struct engine_section_state *ss)
{
	if (ss->not_chosen)
		return "not chosen";
	if (!sec->gate)
		return "ungated";
	if (ss->forced)
		return "FORCED";
	if (ss->gate_passed)
		return "passed";
	return ss->locked ? "locked" : "open";
}

/* The end of the attempt TARGET's gate counts: the latest check_finished
 * at or before the counted verdict (a waiver or an attestation comes after
 * the check it judges). NULL when it had none, or when that attempt is
 * still running (its start comes first). */
static const struct event *counted_finish(const struct report_ctx *c, const char *target, int64_t gate_seq)
{
	/* a chain's seq is its index + 1: start at the counted verdict */
	size_t from = gate_seq > 0 && (uint64_t)gate_seq < c->n_evs ? (size_t)gate_seq : c->n_evs;
	for (size_t k = from; k-- > 0;) {
		const struct event *ev = &c->evs[k];
		if (ev->seq > gate_seq || strcmp(ev->target, target) != 0)
			continue;
		if (strcmp(ev->kind, EV_CHECK_FINISHED) == 0)
			return ev;
		if (strcmp(ev->kind, EV_CHECK_STARTED) == 0)
			return NULL;
	}
	return NULL;
}

/* The last lines of DATA (LEN bytes), at most REPORT_EXCERPT_BYTES once
 * cleaned: from the start of a line when one starts in that span, never in
 * the middle of a character. Trailing newlines are dropped. */
static char *excerpt_of(const char *data, size_t len)
{
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	/* Cleaning can only lengthen the text (a control byte shows as ^X):
	 * clean the raw tail, then cut the clean text to size. */
	size_t from = len > REPORT_EXCERPT_BYTES ? len - REPORT_EXCERPT_BYTES : 0;
	char *clean = sanitize_text(data + from, len - from, SANITIZE_MULTILINE);
	size_t n = strlen(clean), cut = 0;
	bool cut_raw = from > 0 && data[from - 1] != '\n';
	if (n > REPORT_EXCERPT_BYTES) {
		cut = n - REPORT_EXCERPT_BYTES;
		cut_raw = clean[cut - 1] != '\n';
	}
	if (cut_raw) {
		const char *nl = memchr(clean + cut, '\n', n - cut);
		if (nl && nl + 1 < clean + n)
			cut = (size_t)(nl + 1 - clean);
	}
	cut = utf8_boundary_after(clean, n, cut);
	memmove(clean, clean + cut, n - cut + 1);
	return clean;
}

static int64_t json_int(const cJSON *obj, const char *key, int64_t none)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsNumber(v) ? (int64_t)(v->valuedouble + (v->valuedouble < 0 ? -0.5 : 0.5)) : none;
}

static const char *json_text(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An http check's evidence (one object per attempt, docs/network-checks.md):
 * the last attempt's status, body size and hash, and the end of its body. */
static void http_evidence(struct report_item *ri, const char *data, size_t len)
{
	cJSON *arr = cJSON_ParseWithLength(data, len);
	int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
	const cJSON *last = n ? cJSON_GetArrayItem(arr, n - 1) : NULL;
	if (cJSON_IsObject(last)) {
		ri->http_status = (int)json_int(last, "status", 0);
		ri->output_bytes = json_int(last, "body_bytes", -1);
		const char *sha = json_text(last, "body_sha256");
		if (sha) {
			free(ri->output_sha256);
			ri->output_sha256 = report_clean(sha);
		}
		const char *body = json_text(last, "body_head");
		if (body) {
			free(ri->excerpt);
			ri->excerpt = excerpt_of(body, strlen(body));
		}
	}
	cJSON_Delete(arr);
}

/* Exit status, duration, output size and excerpt from the counted attempt's
 * check_finished event FIN and the evidence it names. */
static void fill_attempt(const struct report_ctx *c, const struct checklist_item *it, struct report_item *ri,
	const struct event *fin)
{
	cJSON *p = cJSON_Parse(fin->payload);
	ri->exit_status = (int)json_int(p, "exit_status", -1);
	ri->duration_ms = json_int(p, "duration_ms", -1);
	if (it->kind == ITEM_COMMAND) {
		ri->output_bytes = json_int(p, "bytes", -1);
		ri->output_omitted = json_int(p, "omitted", 0);
		const char *sha = json_text(p, "sha256");
		if (sha) {
			free(ri->output_sha256);
			ri->output_sha256 = report_clean(sha);
		}
	}
	const char *evidence = json_text(p, "evidence");
	size_t len = 0;
	char *data = evidence ? session_evidence(c->s, evidence, &len) : NULL;
	if (data && it->kind == ITEM_COMMAND) {
		free(ri->excerpt);
		ri->excerpt = excerpt_of(data, len);
	} else if (data && it->kind == ITEM_HTTP) {
		http_evidence(ri, data, len);
	}
	free(data);
	cJSON_Delete(p);
}

static void build_item(const struct report_ctx *c, const struct checklist_section *sec, size_t s, size_t i,
	struct report_item *ri)
{
	const struct checklist_item *it = &sec->items[i];
	const struct engine_item_state *is = engine_item(c->s->eng, s, i);
	ri->id = report_clean(it->id);
	ri->title = report_clean(it->title);
	ri->kind = xstrdup(checklist_item_kind_name(it->kind));
	ri->required = it->required;
	ri->verdict = xstrdup(engine_verdict_name(is->gate_verdict));
	ri->checked = xstrdup(is->gate_verdict == VERDICT_WAIVED ? engine_verdict_name(is->checked) : "");
	ri->attempts = is->attempts;
	ri->started_us = is->gate_started_us;
	ri->finished_us = is->gate_finished_us;
	ri->duration_ms = -1;
	ri->exit_status = -1;
	ri->output_bytes = -1;
	ri->message = report_clean_text(is->gate_message);
	ri->actor = report_clean(is->gate_actor);
	ri->value = report_clean_text(is->value);
	ri->excerpt = xstrdup("");
	ri->output_sha256 = xstrdup("");
	ri->rechecks = is->rechecks;
	char *target = xasprintf("%s/%s", sec->id, it->id);
	const struct event *fin = is->gate_seq ? counted_finish(c, target, is->gate_seq) : NULL;
	if (fin)
		fill_attempt(c, it, ri, fin);
	free(target);
}

static void copy_signature(const struct report_ctx *c, const char *section, const struct engine_signoff *so,
	struct report_signature *rs)
{
	rs->section = report_clean(section);
	rs->engineer = report_clean(so->engineer);
	rs->full_name = report_full_name(c, so->engineer);
	/* the engine reads the older "approve"/"reject" as approved/rejected */
	rs->meaning = xstrdup(checklist_meaning_name(so->meaning));
	rs->n_roles = so->n_roles;
	rs->roles = xcalloc(so->n_roles ? so->n_roles : 1, sizeof(*rs->roles));
	for (size_t k = 0; k < so->n_roles; k++)
		rs->roles[k] = report_clean(so->roles[k]);
	rs->comment = report_clean_text(so->comment);
	rs->os_user = report_clean(so->os_user);
	rs->host = report_clean(so->host);
	rs->tty = report_clean(so->tty);
	rs->time_us = so->time_us;
	rs->seq = so->seq;
	memcpy(rs->digest, so->digest, EVENT_HASH_HEX);
	rs->digest[EVENT_HASH_HEX - 1] = '\0';
	rs->stale = so->stale;
	rs->superseded = so->superseded;
	rs->counted = so->counted;
	rs->performs = so->performs;
}

static bool counts(const struct report_signature *rs)
{
	return rs->counted;
}

static bool same_origin(const struct report_signature *a, const struct report_signature *b)
{
	return strcmp(a->os_user, b->os_user) == 0 && strcmp(a->tty, b->tty) == 0 && strcmp(a->host, b->host) == 0;
}

/* Two approvals that count, by different engineers, from one OS user on one
 * tty of one host: the two people may have been one. Says who and where. */
static char *same_origin_warning(const struct report_section *rs)
{
	for (size_t i = 0; i < rs->n_signatures; i++) {
		const struct report_signature *a = &rs->signatures[i];
		if (!counts(a))
			continue;
		struct strbuf who = {0};
		size_t n = 1;
		strbuf_addstr(&who, a->engineer);
		for (size_t j = i + 1; j < rs->n_signatures; j++) {
			const struct report_signature *b = &rs->signatures[j];
			if (counts(b) && same_origin(a, b) && strcmp(a->engineer, b->engineer) != 0) {
				strbuf_addf(&who, " and %s", b->engineer);
				n++;
			}
		}
		if (n > 1) {
			char *w = xasprintf("the approvals of %s came from one OS user \"%s\" on one tty \"%s\" of "
				"host \"%s\": one person may have signed as %s", who.data, a->os_user, a->tty, a->host,
				n == 2 ? "both" : "all of them");
			strbuf_release(&who);
			return w;
		}
		strbuf_release(&who);
	}
	return NULL;
}

static void build_section(const struct report_ctx *c, size_t s, struct report_section *rs)
{
	const struct checklist_section *sec = &c->s->cl->sections[s];
	const struct engine_section_state *ss = engine_section(c->s->eng, s);
	rs->id = report_clean(sec->id);
	rs->title = report_clean(sec->title);
	rs->phase = report_clean(sec->phase);
	rs->gate = xstrdup(gate_name(sec, ss));
	rs->signoffs_required = sec->gate ? sec->signoffs : 0;
	bool gated = sec->gate;
	const struct checklist_policy *p = &sec->policy;
	rs->policy = gated ? report_policy_text(p) : xstrdup("");
	rs->policy_meaning = xstrdup(checklist_meaning_name(p->meaning));
	rs->n_policy_roles = gated ? p->n_roles : 0;
	rs->policy_roles = xcalloc(rs->n_policy_roles ? rs->n_policy_roles : 1, sizeof(*rs->policy_roles));
	for (size_t k = 0; k < rs->n_policy_roles; k++)
		rs->policy_roles[k] = report_clean(p->roles[k]);
	rs->policy_independent = gated && p->independent;
	rs->policy_performed = gated && p->performed;
	rs->estimate_lo_ms = sec->estimate_lo_ms;
	rs->estimate_hi_ms = sec->estimate_hi_ms;
	rs->first_us = ss->first_us;
	rs->passed_us = ss->gate_passed ? ss->passed_us : 0;
	rs->actual_ms = rs->first_us && rs->passed_us ? (rs->passed_us - rs->first_us) / 1000 : -1;
	memcpy(rs->digest, ss->digest, EVENT_HASH_HEX);
	rs->digest[EVENT_HASH_HEX - 1] = '\0';
	rs->n_items = sec->n_items;
	rs->items = xcalloc(sec->n_items ? sec->n_items : 1, sizeof(*rs->items));
	for (size_t i = 0; i < sec->n_items; i++)
		build_item(c, sec, s, i, &rs->items[i]);
	rs->n_signatures = ss->n_signoffs;
	rs->signatures = xcalloc(ss->n_signoffs ? ss->n_signoffs : 1, sizeof(*rs->signatures));
	for (size_t k = 0; k < ss->n_signoffs; k++)
		copy_signature(c, sec->id, &ss->signoffs[k], &rs->signatures[k]);
	rs->same_origin_warning = same_origin_warning(rs);
}

static int by_seq(const void *a, const void *b)
{
	const struct report_signature *x = a, *y = b;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

void report_build_sections(struct report_ctx *c)
{
	struct report *r = c->r;
	size_t n = c->s->cl->n_sections;
	r->n_sections = n;
	r->sections = xcalloc(n ? n : 1, sizeof(*r->sections));
	for (size_t s = 0; s < n; s++)
		build_section(c, s, &r->sections[s]);
	/* Every rejection, stale ones too, in record order. */
	for (size_t s = 0; s < n; s++) {
		const struct engine_section_state *ss = engine_section(c->s->eng, s);
		for (size_t k = 0; k < ss->n_signoffs; k++) {
			if (ss->signoffs[k].meaning != MEANING_REJECTED)
				continue;
			r->rejections = xreallocarray(r->rejections, r->n_rejections + 1, sizeof(*r->rejections));
			copy_signature(c, c->s->cl->sections[s].id, &ss->signoffs[k], &r->rejections[r->n_rejections++]);
		}
	}
	if (r->n_rejections)
		qsort(r->rejections, r->n_rejections, sizeof(*r->rejections), by_seq);
}

static void signature_free(struct report_signature *rs)
{
	free(rs->section);
	free(rs->engineer);
	free(rs->full_name);
	free(rs->meaning);
	for (size_t k = 0; k < rs->n_roles; k++)
		free(rs->roles[k]);
	free(rs->roles);
	free(rs->comment);
	free(rs->os_user);
	free(rs->host);
	free(rs->tty);
}

static void item_free(struct report_item *ri)
{
	free(ri->id);
	free(ri->title);
	free(ri->kind);
	free(ri->verdict);
	free(ri->checked);
	free(ri->message);
	free(ri->actor);
	free(ri->value);
	free(ri->excerpt);
	free(ri->output_sha256);
}

void report_sections_free(struct report *r)
{
	for (size_t s = 0; s < r->n_sections; s++) {
		struct report_section *rs = &r->sections[s];
		free(rs->id);
		free(rs->title);
		free(rs->phase);
		free(rs->gate);
		free(rs->policy);
		free(rs->policy_meaning);
		for (size_t k = 0; k < rs->n_policy_roles; k++)
			free(rs->policy_roles[k]);
		free(rs->policy_roles);
		for (size_t i = 0; i < rs->n_items; i++)
			item_free(&rs->items[i]);
		free(rs->items);
		for (size_t k = 0; k < rs->n_signatures; k++)
			signature_free(&rs->signatures[k]);
		free(rs->signatures);
		free(rs->same_origin_warning);
	}
	free(r->sections);
	for (size_t k = 0; k < r->n_rejections; k++)
		signature_free(&r->rejections[k]);
	free(r->rejections);
}

/* The results an executor holds while the database cannot be reached
 * (exec_hold.h). Nothing here is shown as recorded until the append that
 * records it returned: the interface keeps saying "not recorded" meanwhile. */
#include "run/exec_hold.h"

#include <assert.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/clock.h"
#include "countersign/exec.h"
#include "countersign/store.h"
#include "countersign/util.h"

struct held {
	size_t sec, item;
	char *actor, *payload, *verdict;
	int64_t start_seq;      /* the check_started the result belongs to */
	void *evidence;         /* a copy of the output kept as evidence, or NULL */
	size_t evidence_len;
	char sha[EVENT_HASH_HEX];
	int64_t finished_us;    /* wall clock, when it was first refused */
	struct held *next;
};

struct exec_hold {
	struct session *s;
	struct held *first;     /* oldest first: they are tried in the order they ended */
	int64_t due_us;         /* monotonic: the next try */
	int delay_ms;           /* the wait before the try after next */
	uint64_t seen_appended; /* the session's append count at the last put or try */
	bool busy;              /* the last failure was a lock held past the wait, not an unreachable server */
	char *failure;          /* the last try failed otherwise (said by the session): no timed tries */
	struct store_probe *probe;  /* a timed try's connection to a lost server, being made */
	int64_t probe_end_us;   /* monotonic: the probe is given up then */
	bool probed;            /* the probe connected: the try it was for is due */
};

struct exec_hold *exec_hold_create(struct session *s)
{
	assert(s);
	struct exec_hold *h = xcalloc(1, sizeof(*h));
	h->s = s;
	return h;
}

static void held_free(struct held *r)
{
	free(r->actor);
	free(r->payload);
	free(r->verdict);
	free(r->evidence);
	free(r);
}

void exec_hold_destroy(struct exec_hold *h)
{
	if (!h)
		return;
	while (h->first) {
		struct held *r = h->first;
		h->first = r->next;
		held_free(r);
	}
	free(h->failure);
	store_probe_destroy(h->probe);
	free(h);
}

void exec_hold_put(struct exec_hold *h, size_t sec, size_t item, const char *actor, int64_t start_seq,
	const char *payload, const struct store_evidence *evidence, const char *verdict)
{
	assert(h && actor && payload && start_seq > 0);
	struct held *r = xcalloc(1, sizeof(*r));
	r->sec = sec;
	r->item = item;
	r->actor = xstrdup(actor);
	r->payload = xstrdup(payload);
	r->verdict = xstrdup(verdict ? verdict : "?");
	r->start_seq = start_seq;
	if (evidence) {
		r->evidence = xmalloc(evidence->len + 1);
		memcpy(r->evidence, evidence->bytes, evidence->len);
		r->evidence_len = evidence->len;
		memcpy(r->sha, evidence->sha, sizeof(r->sha));
	}
	r->finished_us = clock_wall_us();
	struct held **tail = &h->first;
	while (*tail)
		tail = &(*tail)->next;
	*tail = r;
	h->busy = session_busy(h->s);
	h->seen_appended = h->s->appended;
	/* the first result held starts the backoff afresh; later ones join it */
	if (h->first == r || h->failure) {
		free(h->failure);
		h->failure = NULL;
		h->delay_ms = EXEC_HOLD_FIRST_MS;
		h->due_us = clock_mono_us() + (int64_t)h->delay_ms * 1000;
	}
}

size_t exec_hold_count(const struct exec_hold *h)
{
	size_t n = 0;
	for (const struct held *r = h ? h->first : NULL; r; r = r->next)
		n++;
	return n;
}

bool exec_hold_has(const struct exec_hold *h, size_t sec, size_t item)
{
	for (const struct held *r = h ? h->first : NULL; r; r = r->next)
		if (r->sec == sec && r->item == item)
			return true;
	return false;
}

int exec_hold_next_ms(const struct exec_hold *h)
{
	if (!h || !h->first)
		return -1;
	if (h->s->appended != h->seen_appended)
		return 0;
	if (h->failure)
		return -1;
	int64_t left = ((h->probe ? h->probe_end_us : h->due_us) - clock_mono_us() + 999) / 1000;
	return left <= 0 ? 0 : left > EXEC_HOLD_MAX_MS ? EXEC_HOLD_MAX_MS : (int)left;
}

/* What the session said during one try, kept so that only the outcome
 * that matters is passed on (a try that fails again says nothing). */
struct said {
	char *last;
};

static void keep_said(void *data, const char *message)
{
	struct said *said = data;
	free(said->last);
	said->last = xstrdup(message);
}

/* Appends R's result once, as exec records a result: the same guard (the
 * attempt still runs), re-checked by the session on the newest state. */
static int try_one(struct exec_hold *h, struct held *r, char **said_text)
{
	struct session *s = h->s;
	const struct checklist_section *sec = &s->cl->sections[r->sec];
	struct event ev;
	session_origin(&ev, r->actor);
	ev.kind = xstrdup(EV_CHECK_FINISHED);
	free(ev.target);
	ev.target = xasprintf("%s/%s", sec->id, sec->items[r->item].id);
	free(ev.payload);
	ev.payload = xstrdup(r->payload);
	struct store_evidence evidence = {.bytes = r->evidence, .len = r->evidence_len};
	memcpy(evidence.sha, r->sha, sizeof(evidence.sha));
	struct session_guard guard = {.action = ACTION_FINISH, .sec = r->sec, .item = r->item, .seq = r->start_seq};
	struct reporter keep = s->report;
	struct said said = {0};
	s->report = (struct reporter){.say = keep_said, .data = &said};
	int rc = session_append_guarded(s, &guard, &ev, 1, r->evidence ? &evidence : NULL, r->evidence ? 1 : 0);
	s->report = keep;
	event_clear(&ev);
	*said_text = said.last;
	return rc;
}

/* The next timed try comes twice as late as the last (at most
 * EXEC_HOLD_MAX_MS). */
static void back_off(struct exec_hold *h)
{
	h->delay_ms = h->delay_ms * 2 > EXEC_HOLD_MAX_MS ? EXEC_HOLD_MAX_MS : h->delay_ms * 2;
	h->due_us = clock_mono_us() + (int64_t)h->delay_ms * 1000;
}

/* A probe that failed or was not answered in time: the server is still
 * unreachable, as a try would have found, without waiting for it. */
static void probe_failed(struct exec_hold *h)
{
	store_probe_destroy(h->probe);
	h->probe = NULL;
	back_off(h);
}

size_t exec_hold_pollfds(struct exec_hold *h, struct pollfd *fds, size_t max)
{
	short events = 0;
	int fd = h && h->probe ? store_probe_fd(h->probe, &events) : -1;
	if (fd < 0)
		return 0;
	if (max >= 1)
		fds[0] = (struct pollfd){.fd = fd, .events = events};
	return 1;
}

void exec_hold_dispatch(struct exec_hold *h, const struct pollfd *fds, size_t n)
{
	short events = 0;
	if (!h || !h->probe || n < 1 || fds[0].fd != store_probe_fd(h->probe, &events) || !fds[0].revents)
		return;
	enum store_probe_state st = store_probe_step(h->probe);
	if (st == STORE_PROBE_FAILED) {
		probe_failed(h);
	} else if (st == STORE_PROBE_CONNECTED) {
		store_probe_destroy(h->probe);
		h->probe = NULL;
		h->probed = true;
		h->due_us = clock_mono_us();
	}
}

size_t exec_hold_retry(struct exec_hold *h, bool force)
{
	if (!h || !h->first)
		return 0;
	/* another append landed: the database takes writes again */
	force |= h->s->appended != h->seen_appended;
	if (!force) {
		if (h->failure)
			return 0;
		if (h->probe) {
			if (clock_mono_us() >= h->probe_end_us)
				probe_failed(h);
			return 0;
		}
		if (clock_mono_us() < h->due_us)
			return 0;
		/* A timed try for a server that was lost connects without
		 * blocking first (the poll loop drives the probe): a try would
		 * wait up to connect_timeout for a server that accepts the
		 * connection and says nothing, with the interface frozen. */
		if (!h->probed && !h->busy && (h->probe = store_probe_start(h->s->st))) {
			h->probe_end_us = clock_mono_us() + (int64_t)EXEC_HOLD_PROBE_MS * 1000;
			if (store_probe_state(h->probe) == STORE_PROBE_FAILED)
				probe_failed(h);
			return 0;
		}
	}
	store_probe_destroy(h->probe);
	h->probe = NULL;
	h->probed = false;
	size_t left_hold = 0;
	bool failed_otherwise = false;
	while (h->first) {
		struct held *r = h->first;
		char *said = NULL;
		int rc = try_one(h, r, &said);
		const struct checklist_section *sec = &h->s->cl->sections[r->sec];
		/* Still unreachable or busy (or failing otherwise: nothing is
		 * dropped that could still land): the rest wait with it. */
		if (rc == CS_ENV) {
			h->busy = session_busy(h->s);
			failed_otherwise = !h->busy && !session_unreachable(h->s);
			free(h->failure);
			h->failure = failed_otherwise ? (said ? said : xstrdup("cannot record in the database")) : NULL;
			if (!failed_otherwise)
				free(said);
			break;
		}
		if (rc == CS_OK)
			reporter_say(&h->s->report, "recorded %s of %s/%s after the database %s", r->verdict, sec->id,
				sec->items[r->item].id, h->busy ? "was free again" : "came back");
		else /* ended meanwhile by another process, or refused by the record: not recorded */
			reporter_say(&h->s->report, "%s (held while the database could not take it)",
				said ? said : "a held result was not recorded");
		free(said);
		h->first = r->next;
		held_free(r);
		left_hold++;
	}
	h->seen_appended = h->s->appended;
	if (!h->first) {
		free(h->failure);
		h->failure = NULL;
	} else if (!failed_otherwise) {
		back_off(h);
	}
	return left_hold;
}

const char *exec_hold_why(const struct exec_hold *h)
{
	if (!h || !h->first)
		return NULL;
	return h->failure ? h->failure : h->busy ? "database busy/locked" : "database unreachable";
}

char *exec_hold_text(const struct exec_hold *h)
{
	if (!h || !h->first)
		return NULL;
	struct strbuf sb = {0};
	for (const struct held *r = h->first; r; r = r->next) {
		const struct checklist_section *sec = &h->s->cl->sections[r->sec];
		char when[64];
		clock_strftime_utc(r->finished_us, "%Y-%m-%d %H:%M:%S UTC", when, sizeof(when));
		strbuf_addf(&sb, "%s/%s: %s, finished %s, evidence %s\n", sec->id, sec->items[r->item].id, r->verdict,
			when, r->sha[0] ? r->sha : "none");
	}
	return strbuf_detach(&sb);
}

/* --- the executor's side (exec.h) --- */

size_t exec_held(const struct exec *x)
{
	return exec_hold_count(exec_hold_of(x));
}

bool exec_is_held(const struct exec *x, size_t sec, size_t item)
{
	return exec_hold_has(exec_hold_of(x), sec, item);
}

int exec_held_retry_ms(const struct exec *x)
{
	return exec_hold_next_ms(exec_hold_of(x));
}

char *exec_held_text(const struct exec *x)
{
	return exec_hold_text(exec_hold_of(x));
}

const char *exec_held_why(const struct exec *x)
{
	return exec_hold_why(exec_hold_of(x));
}

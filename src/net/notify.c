/* Webhook deliveries: a JSON POST per event, retried after a pause that
 * doubles, reported through the net_notified_fn callback. A delivery never
 * blocks or fails anything else; its URL may carry a secret (Slack's does
 * in its path), so only the redacted form ever leaves this file. */
#include "net/net_internal.h"
#include "net/net_util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "countersign/clock.h"

/* What is kept of a receiver's answer (only for the error message). */
#define NOTIFY_KEEP_BYTES 4096

struct notify_job {
	char *url;
	char *payload;
	int attempts, max_attempts;
	int64_t retry_ms, timeout_ms;
};

static void notify_free(void *data)
{
	struct notify_job *nj = data;
	if (!nj)
		return;
	free(nj->url);
	free(nj->payload);
	free(nj);
}

static void notify_fail(struct job *j, char *error)
{
	free(j->delivery_error);
	j->delivery_error = error;
	j->delivery.ok = false;
	j->finished = true;
}

static struct xfer *notify_start(struct job *j)
{
	struct notify_job *nj = j->data;
	char *headers[] = { "Content-Type: application/json" };
	struct xfer_spec sp = {
		.method = "POST", .url = nj->url, .headers = headers, .n_headers = 1,
		.body = nj->payload, .body_len = strlen(nj->payload),
		.timeout_ms = nj->timeout_ms, .keep = NOTIFY_KEEP_BYTES,
	};
	char *err = NULL;
	struct xfer *x = xfer_new(&sp, &err);
	if (!x) {
		notify_fail(j, err);
		return NULL;
	}
	nj->attempts++;
	j->delivery.attempts = nj->attempts;
	return x;
}

/* Worth another attempt: no answer, a server error, or "slow down". */
static bool retryable(CURLcode code, long status)
{
	return code != CURLE_OK || status >= 500 || status == 429 || status == 408;
}

static void notify_done(struct job *j, struct xfer *x, CURLcode code)
{
	struct notify_job *nj = j->data;
	struct xfer_outcome o;
	xfer_outcome(x, code, &o);
	j->delivery.status = o.status;
	if (code == CURLE_OK && o.status / 100 == 2) {
		j->delivery.ok = true;
		j->finished = true;
		xfer_outcome_clear(&o);
		return;
	}
	/* libcurl's messages name the host at most, never the path. */
	char *why = o.error ? xstrdup(o.error) : xasprintf("status %ld from the receiver", o.status);
	if (retryable(code, o.status) && nj->attempts < nj->max_attempts) {
		int64_t pause = nj->retry_ms;
		for (int k = 1; k < nj->attempts && pause < 3600000; k++)
			pause *= 2;
		j->next_at = clock_mono_us() + pause * 1000;
		free(why);
	} else {
		notify_fail(j, xasprintf("%s (%d attempt%s)", why, nj->attempts, nj->attempts == 1 ? "" : "s"));
		free(why);
	}
	xfer_outcome_clear(&o);
}

static void notify_cancelled(struct job *j, struct xfer *in_flight)
{
	notify_fail(j, xstrdup("cancelled"));
}

const struct job_ops notify_job_ops = { notify_start, notify_done, notify_cancelled, notify_free };

/* The body to post (malloc'd), or NULL when DETAILS is not a JSON object. */
static char *payload(enum checklist_notify_format fmt, const char *event, const char *text, const char *details)
{
	cJSON *root = cJSON_CreateObject();
	if (fmt == NOTIFY_SLACK) {
		cJSON_AddStringToObject(root, "text", text ? text : "");
	} else {
		cJSON *d = details ? cJSON_Parse(details) : cJSON_CreateObject();
		if (!cJSON_IsObject(d)) {
			cJSON_Delete(d);
			cJSON_Delete(root);
			return NULL;
		}
		char when[40];
		clock_format_iso(clock_wall_us(), 3, when, sizeof(when));
		cJSON_AddStringToObject(root, "source", "countersign");
		cJSON_AddStringToObject(root, "event", event);
		cJSON_AddStringToObject(root, "text", text ? text : "");
		cJSON_AddStringToObject(root, "time", when);
		cJSON_AddItemToObject(root, "details", d);
	}
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

int net_notify(struct net *n, const struct checklist_notify *target, const char *url_expanded,
	enum checklist_notify_event ev, const char *text, const char *details_json, char **err)
{
	if ((unsigned)ev >= NOTIFY_EVENT_COUNT || !(target->events & (1u << ev)))
		return 0;
	const char *url = url_expanded ? url_expanded : target->url;
	char *shown = net_redact_url(url ? url : "");
	if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)) {
		*err = xasprintf("notification url %s must start with http:// or https://", shown);
		free(shown);
		return -1;
	}
	char *body = payload(target->format, checklist_notify_event_name(ev), text, details_json);
	if (!body) {
		*err = xstrdup("notification details must be a JSON object");
		free(shown);
		return -1;
	}
	struct notify_job *nj = xcalloc(1, sizeof(*nj));
	nj->url = xstrdup(url);
	nj->payload = body;
	int retry_ms, timeout_ms;
	net_notify_policy(n, &nj->max_attempts, &retry_ms, &timeout_ms);
	nj->retry_ms = retry_ms;
	nj->timeout_ms = timeout_ms;
	struct job *j = net_add_job(n, JOB_NOTIFY, &notify_job_ops, nj);
	j->delivery_url = shown;
	j->delivery_event = xstrdup(checklist_notify_event_name(ev));
	return j->id;
}

bool net_notify_file(const char *path, const char *text, char **err)
{
	assert(path && text && err);
	*err = NULL;
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		*err = xasprintf("cannot open %s: %s", path, strerror(errno));
		return false;
	}
	ssize_t n = write(fd, text, len);
	if (n < 0)
		*err = xasprintf("cannot append to %s: %s", path, strerror(errno));
	else if ((size_t)n != len)  /* a full disk: part of it landed */
		*err = xasprintf("cannot append to %s: only %zd of %zu bytes were written", path, n, len);
	else if (fsync(fd) != 0)
		*err = xasprintf("cannot flush %s to disk: %s", path, strerror(errno));
	if (close(fd) != 0 && !*err)
		*err = xasprintf("cannot close %s: %s", path, strerror(errno));
	return *err == NULL;
}

/* The multi handle in the caller's poll loop: libcurl tells us which
 * sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to wake it
 * (CURLMOPT_TIMERFUNCTION); jobs add the waits of their own (retry
 * intervals, sample intervals). User callbacks run only from net_dispatch,
 * outside libcurl's callbacks, and never call libcurl themselves: starting
 * and cancelling just mark jobs, which the next dispatch acts on. */
#include "net/net_curl.h"
#include "net/net_internal.h"
#include "net/net_util.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "countersign/clock.h"

struct sock {
	curl_socket_t fd;
	short events;
};

struct net {
	CURLM *multi;
	net_progress_fn on_progress;
	net_done_fn on_done;
	net_notified_fn on_notified;
	void *user;
	struct job **jobs;
	size_t njobs, cap;
	int next_id;
	struct sock *socks;
	size_t nsocks, sockcap;
	int64_t curl_at;          /* monotonic us when libcurl wants its timeout; -1: none */
	struct redactor *secrets;
	int notify_attempts, notify_retry_ms, notify_timeout_ms;
	struct pollfd *wait_fds;
	size_t wait_cap;
};

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *user, void *sockp)
{
	struct net *n = user;
	size_t i = 0;
	while (i < n->nsocks && n->socks[i].fd != fd)
		i++;
	if (what == CURL_POLL_REMOVE) {
		if (i < n->nsocks)
			n->socks[i] = n->socks[--n->nsocks];
		return 0;
	}
	if (i == n->nsocks) {
		if (n->nsocks == n->sockcap) {
			n->sockcap = n->sockcap ? n->sockcap * 2 : 16;
			n->socks = xreallocarray(n->socks, n->sockcap, sizeof(*n->socks));
		}
		n->nsocks++;
	}
	n->socks[i].fd = fd;
	n->socks[i].events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) |
		((what & CURL_POLL_OUT) ? POLLOUT : 0));
	return 0;
}

/* libcurl's timer is one-shot: it asks again for the next one. */
static int on_timer(CURLM *multi, long ms, void *user)
{
	struct net *n = user;
	n->curl_at = ms < 0 ? -1 : clock_mono_us() + (int64_t)ms * 1000;
	return 0;
}

struct net *net_create(net_progress_fn on_progress, net_done_fn on_done, void *user)
{
	const struct net_curl *c = net_curl_load();
	if (sodium_init() < 0 || !c || c->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	CURLM *multi = c->multi_init();
	if (!multi) {
		c->global_cleanup();
		return NULL;
	}
	struct net *n = xcalloc(1, sizeof(*n));
	n->multi = multi;
	n->on_progress = on_progress;
	n->on_done = on_done;
	n->user = user;
	n->next_id = 1;
	n->curl_at = -1;
	n->notify_attempts = NET_NOTIFY_ATTEMPTS;
	n->notify_retry_ms = NET_NOTIFY_RETRY_MS;
	n->notify_timeout_ms = NET_NOTIFY_TIMEOUT_MS;
	c->multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	c->multi_setopt(multi, CURLMOPT_SOCKETDATA, n);
	c->multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
	c->multi_setopt(multi, CURLMOPT_TIMERDATA, n);
	return n;
}

static void job_free(struct job *j)
{
	if (j->xfer) {
		net_curl()->multi_remove_handle(j->net->multi, j->xfer->easy);
		xfer_free(j->xfer);
	}
	j->ops->free(j->data);
	free(j->result.message);
	free(j->result.evidence);
	free(j->delivery_error);
	free(j->delivery_url);
	free(j->delivery_event);
	free(j);
}

void net_destroy(struct net *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->njobs; i++)
		job_free(n->jobs[i]);
	free(n->jobs);
	net_curl()->multi_cleanup(n->multi);
	net_curl()->global_cleanup();
	free(n->socks);
	redactor_destroy(n->secrets);
	free(n->wait_fds);
	free(n);
}

void net_on_notified(struct net *n, net_notified_fn on_notified)
{
	n->on_notified = on_notified;
}

void net_set_secrets(struct net *n, const char *const *secrets)
{
	redactor_destroy(n->secrets);
	n->secrets = redactor_create(secrets);
}

struct redactor *net_secrets_copy(const struct net *n)
{
	return redactor_copy(n->secrets);
}

void net_set_notify_policy(struct net *n, int attempts, int retry_ms, int timeout_ms)
{
	n->notify_attempts = attempts < 1 ? 1 : attempts;
	n->notify_retry_ms = retry_ms < 0 ? 0 : retry_ms;
	n->notify_timeout_ms = timeout_ms < 1 ? NET_NOTIFY_TIMEOUT_MS : timeout_ms;
}

void net_notify_policy(const struct net *n, int *attempts, int *retry_ms, int *timeout_ms)
{
	*attempts = n->notify_attempts;
	*retry_ms = n->notify_retry_ms;
	*timeout_ms = n->notify_timeout_ms;
}

struct job *net_add_job(struct net *n, enum job_kind kind, const struct job_ops *ops, void *data)
{
	struct job *j = xcalloc(1, sizeof(*j));
	j->id = n->next_id++;
	j->kind = kind;
	j->net = n;
	j->ops = ops;
	j->data = data;
	j->next_at = clock_mono_us();
	j->result.started_us = clock_wall_us();
	if (n->njobs == n->cap) {
		n->cap = n->cap ? n->cap * 2 : 16;
		n->jobs = xreallocarray(n->jobs, n->cap, sizeof(*n->jobs));
	}
	n->jobs[n->njobs++] = j;
	return j;
}

void net_progress(struct job *j, const char *fmt, ...)
{
	if (!j->net->on_progress)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	j->net->on_progress(j->id, text, j->net->user);
	free(text);
}

static struct job *find_job(const struct net *n, int id)
{
	for (size_t i = 0; i < n->njobs; i++)
		if (n->jobs[i]->id == id && !n->jobs[i]->finished)
			return n->jobs[i];
	return NULL;
}

void net_cancel(struct net *n, int job)
{
	struct job *j = find_job(n, job);
	if (j && j->kind != JOB_NOTIFY)
		j->cancel = true;
}

size_t net_active(const struct net *n)
{
	size_t k = 0;
	for (size_t i = 0; i < n->njobs; i++)
		k += !n->jobs[i]->reported;
	return k;
}

size_t net_pollfds(struct net *n, struct pollfd *fds, size_t max)
{
	for (size_t i = 0; i < n->nsocks && i < max; i++)
		fds[i] = (struct pollfd){ .fd = n->socks[i].fd, .events = n->socks[i].events };
	return n->nsocks;
}

int net_next_timeout_ms(const struct net *n)
{
	int64_t now = clock_mono_us(), at = n->curl_at;
	for (size_t i = 0; i < n->njobs; i++) {
		const struct job *j = n->jobs[i];
		if (j->reported)
			continue;
		if ((j->finished && !j->reported) || j->cancel)
			return 0;
		if (!j->xfer && j->next_at && (at < 0 || j->next_at < at))
			at = j->next_at;
	}
	if (at < 0)
		return -1;
	if (at <= now)
		return 0;
	int64_t ms = (at - now + 999) / 1000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void socket_action(struct net *n, curl_socket_t fd, int mask)
{
	int running = 0;
	net_curl()->multi_socket_action(n->multi, fd, mask, &running);
}

/* Hands finished requests to their jobs. */
static void take_finished(struct net *n)
{
	CURLMsg *m;
	int left = 0;
	while ((m = net_curl()->multi_info_read(n->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *easy = m->easy_handle;
		CURLcode code = m->data.result;
		struct job *j = NULL;
		net_curl()->easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&j);
		net_curl()->multi_remove_handle(n->multi, easy);
		if (!j || !j->xfer || j->xfer->easy != easy)
			continue;
		struct xfer *x = j->xfer;
		j->xfer = NULL;
		if (!j->cancel)
			j->ops->done(j, x, code);
		xfer_free(x);
	}
}

static void finish_cancelled(struct net *n, struct job *j)
{
	struct xfer *x = j->xfer;
	j->xfer = NULL;
	if (x)
		net_curl()->multi_remove_handle(n->multi, x->easy);
	j->ops->cancelled(j, x);
	xfer_free(x);
	j->finished = true;
	j->next_at = 0;
}

/* Starts the requests that are due; returns whether any started. */
static bool start_due(struct net *n)
{
	bool started = false;
	int64_t now = clock_mono_us();
	for (size_t i = 0; i < n->njobs; i++) {
		struct job *j = n->jobs[i];
		if (j->cancel && !j->finished)
			finish_cancelled(n, j);
		if (j->finished || j->xfer || !j->next_at || j->next_at > now)
			continue;
		j->next_at = 0;
		struct xfer *x = j->ops->start(j);
		if (!x)
			continue;
		net_curl()->easy_setopt(x->easy, CURLOPT_PRIVATE, (char *)j);
		CURLMcode rc = net_curl()->multi_add_handle(n->multi, x->easy);
		if (rc != CURLM_OK) {
			/* Reported to the job as a failed request. */
			x->errbuf[0] = '\0';
			snprintf(x->errbuf, sizeof(x->errbuf), "%s", net_curl()->multi_strerror(rc));
			j->ops->done(j, x, CURLE_FAILED_INIT);
			xfer_free(x);
			continue;
		}
		j->xfer = x;
		started = true;
	}
	return started;
}

static void report(struct net *n, struct job *j)
{
	j->reported = true;
	if (j->kind == JOB_NOTIFY) {
		j->delivery.error = j->delivery_error;
		j->delivery.url = j->delivery_url;
		j->delivery.event = j->delivery_event;
		if (n->on_notified)
			n->on_notified(j->id, &j->delivery, n->user);
		return;
	}
	j->result.ended_us = clock_wall_us();
	if (n->on_done)
		n->on_done(j->id, &j->result, n->user);
}

void net_dispatch(struct net *n, const struct pollfd *fds, size_t n_fds)
{
	for (size_t i = 0; i < n_fds; i++) {
		if (!fds[i].revents)
			continue;
		bool ours = false;
		for (size_t k = 0; k < n->nsocks && !ours; k++)
			ours = n->socks[k].fd == fds[i].fd;
		if (!ours)
			continue;
		int mask = 0;
		if (fds[i].revents & (POLLIN | POLLHUP))
			mask |= CURL_CSELECT_IN;
		if (fds[i].revents & POLLOUT)
			mask |= CURL_CSELECT_OUT;
		if (fds[i].revents & (POLLERR | POLLNVAL))
			mask |= CURL_CSELECT_ERR;
		socket_action(n, fds[i].fd, mask);
	}
	/* New requests make libcurl ask for an immediate timeout; serve it
	 * here rather than in another round of the caller's loop. */
	for (int round = 0; round < 8; round++) {
		if (n->curl_at >= 0 && n->curl_at <= clock_mono_us()) {
			n->curl_at = -1;
			socket_action(n, CURL_SOCKET_TIMEOUT, 0);
		}
		take_finished(n);
		bool started = start_due(n);
		if (!started && !(n->curl_at >= 0 && n->curl_at <= clock_mono_us()))
			break;
	}
	/* Callbacks may add jobs (growing the array): reach them by index. */
	for (size_t i = 0; i < n->njobs; i++)
		if (n->jobs[i]->finished && !n->jobs[i]->reported)
			report(n, n->jobs[i]);
	size_t kept = 0;
	for (size_t i = 0; i < n->njobs; i++) {
		if (n->jobs[i]->reported)
			job_free(n->jobs[i]);
		else
			n->jobs[kept++] = n->jobs[i];
	}
	n->njobs = kept;
}

bool net_wait_all(struct net *n, int limit_ms)
{
	int64_t end = limit_ms < 0 ? -1 : clock_mono_us() + (int64_t)limit_ms * 1000;
	while (net_active(n) > 0) {
		int64_t now = clock_mono_us();
		if (end >= 0 && now >= end)
			return false;
		size_t k = net_pollfds(n, n->wait_fds, n->wait_cap);
		if (k > n->wait_cap) {
			n->wait_cap = k;
			n->wait_fds = xreallocarray(n->wait_fds, k, sizeof(*n->wait_fds));
			k = net_pollfds(n, n->wait_fds, n->wait_cap);
		}
		int wait = net_next_timeout_ms(n);
		if (end >= 0) {
			int64_t left = (end - now + 999) / 1000;
			if (wait < 0 || wait > left)
				wait = (int)left;
		}
		/* On failure (EINTR) no revents are set: dispatch serves deadlines. */
		(void)poll(n->wait_fds, (nfds_t)k, wait);
		net_dispatch(n, n->wait_fds, k);
	}
	return true;
}

/* The record takes only UTF-8 text (src/core/event_text.c): where an event
 * holds text that is not UTF-8 is named, a payload made from output is
 * made valid, and the store's append refuses the rest before anything
 * reaches the database (STORE_REFUSED, nothing written). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "countersign/event.h"
#include "countersign/store.h"
#include "countersign/utf8.h"
#include "countersign/util.h"

#include "../check.h"

static void test_naming(void)
{
	CHECK(event_text_invalid("title", "café", false) == NULL);
	CHECK(event_text_invalid("title", NULL, false) == NULL);
	char *why = event_text_invalid("title", "caf\xe9 run", false);
	CHECK_STR(why, "title is not valid UTF-8 (byte offset 3)");
	free(why);
	why = event_text_invalid("payload", "{\"title\":\"ok\",\"variables\":{\"HOST\":\"a\xff\"}}", true);
	CHECK_STR(why, "payload field \"variables.HOST\" is not valid UTF-8 (byte offset 1)");
	free(why);
	why = event_text_invalid("payload", "{\"by\":[\"alice\",\"b\xc0\xaf\"]}", true);
	CHECK_STR(why, "payload field \"by[1]\" is not valid UTF-8 (byte offset 1)");
	free(why);
	/* not JSON: the offset in the whole text */
	why = event_text_invalid("payload", "{\"cut\xe2\x82", true);
	CHECK_STR(why, "payload is not valid UTF-8 (byte offset 5)");
	free(why);
	struct event ev = {.actor = "alice", .os_user = "u", .host = "h\xff", .tty = "none", .kind = EV_NOTE,
		.target = "", .payload = "{\"text\":\"fine\"}"};
	why = event_invalid_text(&ev);
	CHECK_STR(why, "host is not valid UTF-8 (byte offset 1)");
	free(why);
	ev.host = "h";
	CHECK(event_invalid_text(&ev) == NULL);
}

static void test_repair(void)
{
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "verdict", "fail");
	cJSON_AddStringToObject(p, "message", "got caf\xe9 \xff\xfe out");
	char *text = event_payload_print(p);
	CHECK(utf8_valid(text, strlen(text)));
	cJSON *back = cJSON_Parse(text);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(back, "message")),
		"got caf" UTF8_REPLACEMENT " " UTF8_REPLACEMENT UTF8_REPLACEMENT " out");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(back, "verdict")), "fail");
	cJSON_Delete(back);
	free(text);
	/* valid text is printed exactly as cJSON prints it */
	cJSON_DeleteItemFromObject(p, "message");
	cJSON_AddStringToObject(p, "message", "café \x1b ok");
	char *plain = cJSON_PrintUnformatted(p);
	text = event_payload_print(p);
	CHECK_STR(text, plain);
	free(text);
	free(plain);
	cJSON_Delete(p);
}

/* The store's last guard, below every front end and the same whatever the
 * engine: checked before any statement. */
static void test_store_guard(void)
{
	char dir[] = "/tmp/cs-event-text.XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	char *path = xasprintf("%s/r.db", dir);
	char *err = NULL;
	struct store *st = store_open(path, &err);
	CHECK(st != NULL);
	if (!st) {
		free(err);
		goto done;
	}
	const char *cl = "{\"countersign\": 1}";
	char sha[EVENT_HASH_HEX];
	CHECK(store_put_checklist(st, cl, strlen(cl), sha) == STORE_OK);
	char bad_sha[EVENT_HASH_HEX];
	CHECK(store_put_checklist(st, "caf\xe9", 4, bad_sha) == STORE_REFUSED);
	struct store_run_row run = {.checklist_id = "c", .checklist_sha = sha, .title = "caf\xe9", .path = "/x"};
	struct event first = {.actor = "alice", .os_user = "u", .host = "h", .tty = "none", .kind = EV_RUN_STARTED,
		.target = "", .payload = "{}"};
	CHECK(store_create_run(st, &run, &first) == STORE_REFUSED);
	CHECK(strstr(store_error(st), "title is not valid UTF-8 (byte offset 3)") != NULL);
	struct store_run_row *rows = NULL;
	size_t n = 9;
	CHECK(store_list_runs(st, &rows, &n) == STORE_OK && n == 0);
	free(rows);
	run.title = "café";
	CHECK(store_create_run(st, &run, &first) == STORE_OK);
	struct event bad = {.actor = "alice", .os_user = "u", .host = "h", .tty = "none", .kind = EV_NOTE,
		.target = "", .payload = "{\"text\":\"overlong \xc0\xaf\"}"};
	CHECK(store_append(st, run.id, &bad, 1, NULL, 0) == STORE_REFUSED);
	CHECK(strstr(store_error(st), "payload field \"text\" is not valid UTF-8 (byte offset 9)") != NULL);
	struct event *evs = NULL;
	CHECK(store_load_events(st, run.id, 0, &evs, &n) == STORE_OK && n == 1);
	event_array_free(evs, n);
	free(run.id);
	store_close(st);
done:
	unlink(path);
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
	rmdir(dir);
	free(path);
}

int main(void)
{
	test_naming();
	test_repair();
	test_store_guard();
	return check_report();
}

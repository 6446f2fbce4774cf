/* The record takes only UTF-8 text, on every engine: PostgreSQL's text
 * columns refuse anything else, and a SQLite record must be one that can be
 * copied there. Here: saying where text is not UTF-8, and making a payload
 * built from output the program does not control valid before it is
 * recorded. */
#include "countersign/event.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "countersign/utf8.h"
#include "countersign/util.h"

/* Cuts PATH back to its first MARK bytes. */
static void path_cut(struct strbuf *path, size_t mark)
{
	path->len = mark;
	if (path->data)
		path->data[mark] = '\0';
}

/* Looks for the first string (a member name or a string value) under NODE
 * that is not UTF-8; on finding one, leaves its path ("title",
 * "variables.HOST", "by[1]") in PATH and the offset of its first bad byte
 * in *AT. */
static bool find_invalid(const cJSON *node, struct strbuf *path, size_t *at)
{
	size_t mark = path->len;
	int index = 0;
	const cJSON *child;
	cJSON_ArrayForEach(child, node) {
		if (cJSON_IsObject(node)) {
			strbuf_addf(path, "%s%s", mark ? "." : "", child->string);
			size_t len = strlen(child->string);
			if ((*at = utf8_invalid_at(child->string, len)) < len)
				return true;
		} else {
			strbuf_addf(path, "[%d]", index);
		}
		index++;
		if (cJSON_IsString(child) && child->valuestring) {
			size_t len = strlen(child->valuestring);
			if ((*at = utf8_invalid_at(child->valuestring, len)) < len)
				return true;
		}
		if ((cJSON_IsObject(child) || cJSON_IsArray(child)) && find_invalid(child, path, at))
			return true;
		path_cut(path, mark);
	}
	return false;
}

/* The test program's COUNTERSIGN_TEST_LEGACY_TEXT: text is taken as it
 * comes, as countersign did before the record held to UTF-8, so that tests
 * can make the SQLite records of then. */
static bool take_any_text;

void event_test_take_any_text(void)
{
	take_any_text = true;
}

char *event_text_invalid(const char *field, const char *text, bool json)
{
	assert(field);
	if (!text || take_any_text)
		return NULL;
	size_t len = strlen(text);
	size_t at = utf8_invalid_at(text, len);
	if (at == len)
		return NULL;
	if (json) {
		cJSON *root = cJSON_Parse(text);
		struct strbuf path = {0};
		size_t in = 0;
		char *where = NULL;
		if (root && find_invalid(root, &path, &in))
			where = xasprintf("%s field \"%s\" is not valid UTF-8 (byte offset %zu)", field,
				path.data ? path.data : "", in);
		strbuf_release(&path);
		cJSON_Delete(root);
		if (where)
			return where;
	}
	return xasprintf("%s is not valid UTF-8 (byte offset %zu)", field, at);
}

char *event_invalid_text(const struct event *ev)
{
	assert(ev);
	const struct {
		const char *name, *text;
	} fields[] = {
		{"actor", ev->actor}, {"os_user", ev->os_user}, {"host", ev->host}, {"tty", ev->tty},
		{"kind", ev->kind}, {"target", ev->target}, {"sigs", ev->sigs},
	};
	char *why = event_text_invalid("payload", ev->payload, true);
	for (size_t i = 0; !why && i < sizeof(fields) / sizeof(fields[0]); i++)
		why = event_text_invalid(fields[i].name, fields[i].text, false);
	return why;
}

char *event_payload_print(const cJSON *payload)
{
	assert(payload);
	char *text = cJSON_PrintUnformatted(payload);
	size_t len = strlen(text);
	if (utf8_valid(text, len))
		return text;
	/* cJSON writes a string's bytes as they are and everything else in
	 * ASCII: a byte that is not UTF-8 can only be inside a string, and
	 * replacing it there keeps the JSON what it was. */
	char *valid = utf8_repair(text, len, false);
	free(text);
	return valid;
}

bool event_valid_engineer_name(const char *name)
{
	if (!name || name[0] < 'a' || name[0] > 'z' || strlen(name) > 32)
		return false;
	for (const char *s = name; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= '0' && *s <= '9') && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

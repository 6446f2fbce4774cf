#include "countersign/outline.h"

#include <stdlib.h>
#include <string.h>

#include "countersign/duration.h"
#include "countersign/sanitize.h"

static void format_estimate(int64_t lo, int64_t hi, char *buf, size_t size)
{
	char a[32], b[32];
	duration_format(lo, a, sizeof(a));
	if (lo == hi) {
		snprintf(buf, size, "~%s", a);
		return;
	}
	duration_format(hi, b, sizeof(b));
	snprintf(buf, size, "~%s-%s", a, b);
}

/* Prints BEFORE, S on one line whatever it holds (titles and ids come from
 * the file), padded to WIDTH bytes, then AFTER. */
static void put(FILE *out, const char *before, const char *s, int width, const char *after)
{
	char *clean = sanitize_text(s ? s : "", s ? strlen(s) : 0, 0);
	fprintf(out, "%s%-*s%s", before, width, clean, after);
	free(clean);
}

static void print_gate(const struct checklist_section *s, FILE *out)
{
	if (s->always_open)
		fputs("always open, no gate", out);
	else if (!s->gate)
		fputs("no gate", out);
	else if (s->signoffs == 0)
		fputs("gate: required items, no signature", out);
	else
		fprintf(out, "gate: required items + %d sign-off%s", s->signoffs, s->signoffs == 1 ? "" : "s");
	if (s->choice)
		put(out, "; alternative of \"", s->choice, 0, "\"");
}

static void print_item(const struct checklist_item *it, FILE *out)
{
	char buf[64];
	fprintf(out, "      %-10s ", checklist_item_kind_name(it->kind));
	put(out, "", it->title, 0, "");
	switch (it->kind) {
	case ITEM_WAIT:
		duration_format(it->duration_ms, buf, sizeof(buf));
		fprintf(out, " (%s)", buf);
		break;
	case ITEM_PROMETHEUS:
		if (it->compare == PROM_BELOW)
			fprintf(out, " (< %g", it->hi);
		else if (it->compare == PROM_ABOVE)
			fprintf(out, " (> %g", it->lo);
		else
			fprintf(out, " (%g..%g", it->lo, it->hi);
		fprintf(out, ", %d sample%s)", it->samples, it->samples == 1 ? "" : "s");
		break;
	default:
		break;
	}
	const char *flags[4];
	size_t n = 0;
	if (!it->required)
		flags[n++] = "optional";
	if (it->confirm)
		flags[n++] = "confirm";
	if (it->interactive)
		flags[n++] = "interactive";
	if (it->waivable)
		flags[n++] = "waivable";
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : " [", flags[i]);
	fputs(n ? "]\n" : "\n", out);
}

void outline_print(const struct checklist *cl, FILE *out)
{
	size_t items = 0;
	for (size_t s = 0; s < cl->n_sections; s++)
		items += cl->sections[s].n_items;
	put(out, "", cl->title, 0, "");
	put(out, " (", cl->id, 0, ")");
	fprintf(out, ": %zu sections, %zu items\n", cl->n_sections, items);
	if (cl->n_variables) {
		fputs("  variables:", out);
		for (size_t i = 0; i < cl->n_variables; i++)
			put(out, " ", cl->variables[i].name, 0, cl->variables[i].secret ? " (secret)" : "");
		fputc('\n', out);
	}
	const char *phase = NULL;
	for (size_t s = 0; s < cl->n_sections; s++) {
		const struct checklist_section *sec = &cl->sections[s];
		const char *p = sec->phase ? sec->phase : "(no phase)";
		if (!phase || strcmp(phase, p) != 0) {
			put(out, "\n", p, 0, "\n");
			phase = p;
		}
		put(out, "  ", sec->id, 28, " ");
		put(out, "", sec->title, 0, "");
		if (sec->estimate_hi_ms) {
			char buf[80];
			format_estimate(sec->estimate_lo_ms, sec->estimate_hi_ms, buf, sizeof(buf));
			fprintf(out, " (%s)", buf);
		}
		fputs("\n    ", out);
		print_gate(sec, out);
		fputc('\n', out);
		for (size_t i = 0; i < sec->n_items; i++)
			print_item(&sec->items[i], out);
	}
}

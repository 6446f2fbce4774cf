#include "countersign/outline.h"

#include <string.h>

#include "countersign/duration.h"

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

static void print_gate(const struct section *s, FILE *out)
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
		fprintf(out, "; alternative of \"%s\"", s->choice);
}

static void print_item(const struct item *it, FILE *out)
{
	char buf[64];
	fprintf(out, "      %-10s %s", item_kind_name(it->kind), it->title);
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
	fprintf(out, "%s (%s): %zu sections, %zu items\n", cl->title, cl->id, cl->n_sections, items);
	if (cl->n_variables) {
		fputs("  variables:", out);
		for (size_t i = 0; i < cl->n_variables; i++)
			fprintf(out, " %s%s", cl->variables[i].name, cl->variables[i].secret ? " (secret)" : "");
		fputc('\n', out);
	}
	const char *phase = NULL;
	for (size_t s = 0; s < cl->n_sections; s++) {
		const struct section *sec = &cl->sections[s];
		const char *p = sec->phase ? sec->phase : "(no phase)";
		if (!phase || strcmp(phase, p) != 0) {
			fprintf(out, "\n%s\n", p);
			phase = p;
		}
		fprintf(out, "  %-28s %s", sec->id, sec->title);
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

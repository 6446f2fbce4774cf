/* Getting to a run: operator sign-in (or registering the first engineer on
 * an empty database), resume-or-new, and the variables form. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "countersign/clock.h"
#include "countersign/util.h"
#include "ui.h"

static void (*after_signin)(struct ui *ui);
static struct checklist *pending_cl;     /* checklist of the run being started */

static void signed_in(struct ui *ui, const char *name)
{
	free(ui->operator);
	ui->operator = xstrdup(name);
	ui_set_status(ui, false, "signed in as %s", name);
	void (*then)(struct ui *) = after_signin;
	after_signin = NULL;
	if (then)
		then(ui);
}

static bool submit_signin(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	char *name = ui_field_text(&d->fields[0]);
	char *pin = ui_field_text(&d->fields[1]);
	int rc = session_check_pin(&ui->s, name, pin, "sign-in");
	ui_text_free(pin);
	if (rc != CS_OK) {
		/* the reporter already put the reason on the status line */
		ui_field_clear(&d->fields[1]);
		d->focus = 1;
		free(name);
		return false;
	}
	ui_dialog_close(ui);
	signed_in(ui, name);
	free(name);
	return false;
}

void ui_signin_again(struct ui *ui)
{
	/* asked once each time the key goes: Esc leaves the operator free to
	 * look around or quit (what they record is refused, saying why) */
	static bool asked;
	if (!ui->operator || session_key_unlocked(&ui->s, ui->operator)) {
		asked = false;
		return;
	}
	if (asked || ui->dialog)
		return;
	asked = true;
	struct ui_dialog *d = ui_dialog_new("Sign in again");
	ui_dialog_info(d, "The PIN of %s was changed in another terminal since it was entered here: nothing more "
		"is recorded in that name until the PIN is entered again.", ui->operator);
	ui_dialog_field(d, "Engineer", FIELD_TEXT, ui->operator);
	ui_dialog_field(d, "PIN", FIELD_SECRET, NULL);
	d->focus = 1;
	d->submit = submit_signin;
	ui_dialog_open(ui, d);
}

/* Registering: the same rules as the command line (session_add_engineer
 * says what is wrong); here only what a form adds: both names given and the
 * PIN typed twice alike. */
void ui_register_dialog_fields(struct ui_dialog *d)
{
	ui_dialog_field(d, "Short name", FIELD_TEXT, NULL)->pattern = "^[a-z][a-z0-9._-]{0,31}$";
	ui_dialog_field(d, "Full name", FIELD_TEXT, NULL);
	ui_dialog_field(d, "PIN (6+ characters)", FIELD_SECRET, NULL);
	ui_dialog_field(d, "PIN again", FIELD_SECRET, NULL);
}

char *ui_register_fields(struct ui *ui, struct ui_dialog *d)
{
	char *name = ui_field_text(&d->fields[0]);
	char *full = ui_field_text(&d->fields[1]);
	char *pin = ui_field_text(&d->fields[2]);
	char *again = ui_field_text(&d->fields[3]);
	bool done = false;
	if (!name[0] || !full[0]) {
		ui_set_status(ui, true, "give a short name and a full name");
	} else if (session_check_new_pin(&ui->s.report, pin) != CS_OK) {
		/* it said why */
	} else if (strcmp(pin, again) != 0) {
		ui_set_status(ui, true, "the two PINs differ");
	} else {
		done = session_add_engineer(&ui->s, name, full, pin) == CS_OK;
	}
	ui_text_free(pin);
	ui_text_free(again);
	free(full);
	if (!done) {
		free(name);
		return NULL;
	}
	return name;
}

static bool submit_register(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	char *name = ui_register_fields(ui, d);
	if (!name)
		return false;
	/* the first engineer becomes the operator: their PIN, just typed,
	 * unlocks the key their events are signed with */
	char *pin = ui_field_text(&d->fields[2]);
	int rc = session_check_pin(&ui->s, name, pin, "sign-in");
	ui_text_free(pin);
	if (rc == CS_OK) {
		ui_dialog_close(ui);
		signed_in(ui, name);
	}
	free(name);
	return false;
}

void ui_begin_signin(struct ui *ui, void (*then)(struct ui *ui))
{
	if (ui->operator) {
		then(ui);
		return;
	}
	after_signin = then;
	struct store_engineer *list = NULL;
	size_t n = 0;
	session_engineers(&ui->s, &list, &n);
	for (size_t i = 0; i < n; i++)
		store_engineer_clear(&list[i]);
	free(list);
	struct ui_dialog *d;
	if (n == 0) {
		d = ui_dialog_new("Register the first engineer");
		ui_dialog_info(d, "No engineer is registered in this database yet.");
		ui_dialog_info(d, "Register yourself; you will be the operator of this session.");
		ui_register_dialog_fields(d);
		d->submit = submit_register;
	} else {
		d = ui_dialog_new("Sign in");
		ui_dialog_info(d, "Your checks, attestations and notes are recorded in your name.");
		ui_dialog_field(d, "Engineer", FIELD_TEXT, NULL);
		ui_dialog_field(d, "PIN", FIELD_SECRET, NULL);
		d->submit = submit_signin;
	}
	ui_dialog_open(ui, d);
}

/* --- new run: variables form --- */

static bool submit_vars(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	struct checklist *cl = pending_cl;
	vars_clear(&ui->vars);
	assert(d->n_fields == cl->n_variables + 1);
	/* values of secret variables pass through here: every copy is wiped */
	char **assign = xcalloc(cl->n_variables + 1, sizeof(char *));
	for (size_t i = 0; i < cl->n_variables; i++) {
		char *value = ui_field_text(&d->fields[i]);
		assign[i] = xasprintf("%s=%s", cl->variables[i].name, value);
		ui_text_free(value);
	}
	bool ok = vars_assign(&ui->vars, cl, (const char *const *)assign, (int)cl->n_variables, true, &ui->s.report);
	for (size_t i = 0; i < cl->n_variables; i++)
		ui_text_free(assign[i]);
	free(assign);
	const struct checklist_variable *missing = NULL;
	for (size_t i = 0; ok && i < cl->n_variables; i++)
		if (!ui->vars.values[i] || !ui->vars.values[i][0])
			missing = &cl->variables[i];
	if (missing) {
		ui_set_status(ui, true, "%s needs a value", missing->name);
		return false;
	}
	if (!ok || !vars_check_refs(&ui->vars, &ui->s.report))
		return false;
	char *title = ui_field_text(&d->fields[cl->n_variables]);
	int rc = session_start_run(&ui->s, cl, &ui->vars, title, ui->operator);
	free(title);
	if (rc != CS_OK)
		return false;
	/* The session keeps its own copy of the checklist from the record. */
	checklist_destroy(pending_cl);
	pending_cl = NULL;
	ui->vars.cl = ui->s.cl;
	ui_dialog_close(ui);
	ui_run_open(ui, NULL);
	session_announce_start(&ui->s, ui->operator);
	ui_notify_say_off(ui);
	return false;
}

static void open_vars_form(struct ui *ui)
{
	struct checklist *cl = pending_cl;
	struct ui_dialog *d = ui_dialog_new("New run");
	ui_dialog_info(d, "%s (%s)", cl->title, cl->id);
	for (size_t i = 0; i < cl->n_variables; i++) {
		const struct checklist_variable *v = &cl->variables[i];
		/* --var first, then the default; secrets may come from the environment */
		const char *given = NULL;
		size_t len = strlen(v->name);
		for (int k = 0; k < ui->opt->n_vars && !given; k++)
			if (strncmp(ui->opt->vars[k], v->name, len) == 0 && ui->opt->vars[k][len] == '=')
				given = ui->opt->vars[k] + len + 1;
		if (!given)
			given = v->default_value ? v->default_value : v->secret ? getenv(v->name) : NULL;
		struct ui_field *f = ui_dialog_field(d, v->prompt ? v->prompt : v->name,
			v->secret ? FIELD_SECRET : FIELD_TEXT, given);
		f->pattern = v->pattern;
	}
	ui_dialog_field(d, "Run title", FIELD_TEXT, ui->opt->title ? ui->opt->title : cl->title);
	d->submit = submit_vars;
	ui_dialog_open(ui, d);
}

/* The open runs of the checklist being opened, parallel to the rows of the
 * dialog that lists them (the last row starts a new run). */
static struct strvec open_ids;

static void open_ids_clear(void)
{
	strvec_clear(&open_ids);
}

static bool submit_open_run(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	char *id = d->sel < open_ids.n ? xstrdup(open_ids.v[d->sel]) : NULL;
	open_ids_clear();
	ui_dialog_close(ui);
	if (id) {
		checklist_destroy(pending_cl);
		pending_cl = NULL;
		ui_begin_resume(ui, id);
		free(id);
	} else {
		open_vars_form(ui);
	}
	return false;
}

/* Adds a row for open run RUN (loaded in PROBE): id, when and by whom it
 * started, its title and the section it is at. */
static void open_run_row(struct ui *ui, struct ui_dialog *d, const struct store_run_row *run, struct session *probe)
{
	struct event *evs = NULL;
	size_t n = 0;
	const char *by = "?";
	if (session_chain_events(&ui->s, run->id, 0, &evs, &n) == CS_OK && n)
		by = evs[0].actor;
	char when[64];
	clock_format_utc(run->started_us, when, sizeof(when));
	size_t cur = engine_current_section(probe->eng);
	ui_dialog_row(d, "%s · started %s by %s\n    \"%s\" · current section: %s", run->id, when, by, run->title,
		cur != (size_t)-1 ? probe->cl->sections[cur].title : "the last gates");
	event_array_free(evs, n);
}

/* After sign-in: the checklist's open runs to resume one of (the newest
 * first, so that a reflexive Enter resumes rather than starts yet another
 * run), and starting a new one as the last choice. */
static void new_run_signed_in(struct ui *ui)
{
	struct store_run_row *runs = NULL;
	size_t n = 0;
	session_open_runs(&ui->s, &runs, &n);  /* the open runs alone: one indexed read, whatever the history */
	open_ids_clear();
	struct ui_dialog *d = NULL;
	for (size_t i = 0; i < n; i++) {
		if (runs[i].ended || strcmp(runs[i].checklist_id, pending_cl->id) != 0)
			continue;
		struct session probe;
		memset(&probe, 0, sizeof(probe));
		probe.report = ui->s.report;
		session_open_shared(&probe, &ui->s);
		if (session_load_run(&probe, runs[i].id) == CS_OK && engine_status(probe.eng) == RUN_OPEN) {
			if (!d)
				d = ui_dialog_new("Open runs");
			strvec_push(&open_ids, runs[i].id);
			open_run_row(ui, d, &runs[i], &probe);
		}
		session_close(&probe);
	}
	for (size_t i = 0; i < n; i++)
		store_run_row_clear(&runs[i]);
	free(runs);
	if (!d) {
		open_vars_form(ui);
		return;
	}
	ui_dialog_info(d, "%s (%s) has %zu open run%s. Resume one, or start a new run:", pending_cl->title,
		pending_cl->id, open_ids.n, open_ids.n == 1 ? "" : "s");
	ui_dialog_row(d, "start a new run of %s", pending_cl->id);
	d->submit = submit_open_run;
	ui_dialog_open(ui, d);
}

void ui_begin_new_run(struct ui *ui, const char *checklist_path)
{
	struct diag_list diags;
	diag_list_init(&diags, checklist_path);
	struct checklist *cl = checklist_load_file(checklist_path, &diags);
	if (!cl) {
		const struct diag *first = diags.count ? &diags.items[0] : NULL;
		ui_message(ui, "Checklist does not load", "%s:%d:%d: %s", checklist_path, first ? first->line : 0,
			first ? first->col : 0, first ? first->message : "unknown error");
		diag_list_clear(&diags);
		return;
	}
	diag_list_clear(&diags);
	checklist_destroy(pending_cl);
	pending_cl = cl;
	ui_begin_signin(ui, new_run_signed_in);
}

/* --- resume: secrets are never stored, so they are asked again --- */

static bool submit_secrets(struct ui *ui, struct ui_dialog *d, bool yes)
{
	(void)yes;
	const struct checklist *cl = ui->s.cl;
	size_t k = 0;
	for (size_t i = 0; i < cl->n_variables; i++) {
		if (!cl->variables[i].secret || ui->vars.values[i])
			continue;
		assert(k < d->n_fields);
		char *value = ui_field_text(&d->fields[k++]);
		if (value[0])
			ui->vars.values[i] = value; /* the run's values own it now */
		else
			free(value);
	}
	ui_dialog_close(ui);
	ui_run_open(ui, NULL);
	ui_notify_say_off(ui);
	return false;
}

void ui_begin_resume(struct ui *ui, const char *run_id)
{
	if (!ui_run_open(ui, run_id))
		return;
	const struct checklist *cl = ui->s.cl;
	if (engine_status(ui->s.eng) != RUN_OPEN || ui->opt->review)
		return; /* read-only: nothing will run, so no secret is needed */
	struct ui_dialog *d = NULL;
	for (size_t i = 0; i < cl->n_variables; i++) {
		if (!cl->variables[i].secret || ui->vars.values[i])
			continue;
		if (!d) {
			d = ui_dialog_new("Secrets");
			ui_dialog_info(d, "Secret variables are never stored; give them again for checks that use them.");
			ui_dialog_info(d, "Leave one empty to skip it; V on the run screen gives it later.");
		}
		ui_dialog_field(d, cl->variables[i].prompt ? cl->variables[i].prompt : cl->variables[i].name,
			FIELD_SECRET, NULL);
	}
	if (d) {
		d->submit = submit_secrets;
		ui_dialog_open(ui, d);
	} else {
		ui_notify_say_off(ui);
	}
}

static char *resume_id;

static void resume_signed_in(struct ui *ui)
{
	char *id = resume_id;
	resume_id = NULL;
	if (id)
		ui_begin_resume(ui, id);
	free(id);
}

void ui_begin_resume_signed(struct ui *ui, const char *run_id)
{
	free(resume_id);
	resume_id = xstrdup(run_id);
	ui_begin_signin(ui, resume_signed_in);
}

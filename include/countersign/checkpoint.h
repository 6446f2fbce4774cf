/* Checkpoints: a short text that names a record and, for each chain it
 * covers, how many events it had and the hash of the last, so that a copy
 * kept outside the database can later prove that nothing was cut off or
 * rewritten (countersign checkpoint, verify --checkpoint). The format, in
 * the style of a signed note, is in docs/record.md:
 *
 *   countersign checkpoint v1
 *   origin HOST record RECORD_ID
 *   time 2026-11-30T22:41:07Z
 *   registry 124 HEAD
 *   engineers 31 HEAD
 *   run k3v9q2m7xd 57 HEAD
 *
 *   — sha256 HEX
 *
 * The last line (after one empty line; an em dash, U+2014) is the SHA-256
 * of every byte before the empty line, newlines included, so that a changed
 * or damaged copy is refused rather than misread. */
#ifndef COUNTERSIGN_CHECKPOINT_H
#define COUNTERSIGN_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "countersign/event.h"

#define CHECKPOINT_RECORD_HEX 33  /* a record's id: 16 random bytes as hex, and a NUL */

struct checkpoint_chain {
	char *name;      /* "registry", "engineers" or a run id */
	int64_t events;  /* events in the chain then (at least 1) */
	char head[EVENT_HASH_HEX]; /* the hash of its event number EVENTS */
};

struct checkpoint {
	char *host;                          /* the host it was taken on (no spaces) */
	char record[CHECKPOINT_RECORD_HEX];  /* the record's id (registry chain, docs/record.md) */
	int64_t time_us;                     /* when it was taken (printed to the second) */
	struct checkpoint_chain *chains;     /* registry, engineers, then runs in the order given */
	size_t n_chains;
};

/* Frees what CP holds (not CP itself); NULL is a no-op. */
void checkpoint_clear(struct checkpoint *cp);

/* Appends chain NAME with EVENTS and HEAD to CP (copies NAME). */
void checkpoint_add(struct checkpoint *cp, const char *name, int64_t events, const char *head);

/* CP as checkpoint text, its checksum line included: malloc'd, caller
 * frees. CP's host must hold no whitespace or control character. */
char *checkpoint_format(const struct checkpoint *cp);

/* Parses TEXT (LEN bytes; surrounding blank lines are ignored) into *OUT
 * (zeroed first; clear with checkpoint_clear). Returns false with a
 * malloc'd reason in *WHY (caller frees) when it is not a checkpoint, a line
 * is malformed, or the checksum does not match the text ("the checkpoint
 * was changed or damaged: its checksum does not match"). */
bool checkpoint_parse(const char *text, size_t len, struct checkpoint *out, char **why);

/* Parses TEXT holding one or more checkpoints one after another (the file a
 * notify entry appends to) into *OUT and *N (oldest first as written; free
 * each with checkpoint_clear and the array). Returns false with a malloc'd
 * reason in *WHY naming the checkpoint ("checkpoint 2 of 3 (line 10): ...")
 * when any is not a checkpoint or was changed. */
bool checkpoint_parse_all(const char *text, size_t len, struct checkpoint **out, size_t *n, char **why);

#endif

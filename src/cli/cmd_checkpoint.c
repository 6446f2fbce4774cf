/* countersign checkpoint [RUN] [-o FILE]: the text that names the record
 * and the size and head of its chains, to keep somewhere else and check
 * the database against later (verify --checkpoint). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/opts.h"
#include "cli/cli_session.h"
#include "cli/cli_text.h"
#include "countersign/util.h"

/* Writes TEXT to F; false (errno set) when any write failed. */
static bool put_text(FILE *f, const char *text)
{
	errno = 0;
	bool ok = fputs(text, f) >= 0;
	ok = fflush(f) == 0 && ok && !ferror(f);
	if (!ok && !errno)
		errno = EIO;
	return ok;
}

/* True when PATH starts as an SQLite database: the record, which a
 * checkpoint must never replace. */
static bool is_database(const char *path)
{
	char head[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, head, sizeof(head));
	close(fd);
	return n == (ssize_t)sizeof(head) && memcmp(head, "SQLite format 3", 16) == 0;
}

/* Something that is not a plain file (a link, a FIFO, /dev/stdout) is
 * written in place; a plain file is replaced whole (a file beside it,
 * flushed to disk, renamed over it), so that a failure leaves an older
 * checkpoint as it was. Returns an exit code after saying why. */
static int write_file(const char *path, const char *text)
{
	struct stat st;
	bool exists = lstat(path, &st) == 0;
	if (exists && is_database(path)) {
		cli_error("checkpoint", "%s is an SQLite database (the record?): a checkpoint is never written over "
			"one; name another file", path);
		return CS_INVALID;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		FILE *f = fopen(path, "w");
		bool ok = f && put_text(f, text);
		int e = errno;
		if (f && fclose(f) != 0 && ok) {
			ok = false;
			e = errno;
		}
		if (!ok)
			cli_error("checkpoint", "cannot write %s: %s", path, strerror(e ? e : EIO));
		return ok ? CS_OK : CS_ENV;
	}
	char *copy_dir = xstrdup(path), *copy_base = xstrdup(path);
	char *tmp = xasprintf("%s/.%s.XXXXXX", dirname(copy_dir), basename(copy_base));
	free(copy_dir);
	free(copy_base);
	/* an older file's mode, else what the umask gives a new file */
	mode_t mask = umask(0);
	umask(mask);
	mode_t mode = exists ? st.st_mode & 07777 : 0666 & ~mask;
	int fd = mkstemp(tmp), e = errno;
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	bool ok = f && fchmod(fd, mode) == 0 && put_text(f, text) && fsync(fd) == 0;
	if (fd >= 0)
		e = errno;
	if (f && fclose(f) != 0 && ok) {
		ok = false;
		e = errno;
	} else if (!f && fd >= 0) {
		close(fd);
	}
	if (ok && rename(tmp, path) != 0) {
		ok = false;
		e = errno;
	}
	if (!ok) {
		if (fd >= 0)
			unlink(tmp);
		cli_error("checkpoint", "cannot write %s: %s", path, strerror(e ? e : EIO));
	}
	free(tmp);
	return ok ? CS_OK : CS_ENV;
}

int cmd_checkpoint(const struct cli_global *g, int argc, char **argv)
{
	const char *usage = "countersign checkpoint [RUN] [-o FILE]";
	struct opts o;
	if (!opts_parse("checkpoint", usage, argc, argv, "output", 1, &o))
		return CS_INVALID;
	if (o.output && !o.output[0]) {
		cli_error("checkpoint", "-o needs a file name (or - for standard output)");
		return CS_INVALID;
	}
	/* Only reads: the database is opened read-only and nothing is recorded. */
	struct session s;
	int rc = cli_session_open_read(&s, g, "checkpoint");
	char *text = NULL;
	if (rc == CS_OK)
		rc = session_checkpoint(&s, o.n_pos ? o.pos[0] : NULL, &text);
	if (rc == CS_OK && (!o.output || strcmp(o.output, "-") == 0))
		fputs(text, stdout);
	else if (rc == CS_OK)
		rc = write_file(o.output, text);
	free(text);
	session_close(&s);
	return rc;
}

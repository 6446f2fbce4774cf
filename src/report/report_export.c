/* Writing a report to a file so that it is whole or absent: a temporary
 * file beside the target, written, flushed to disk, then renamed over it.
 * A failure leaves no temporary file and an older report untouched. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "countersign/util.h"
#include "report/report_internal.h"
#include "countersign/session.h"

/* Makes the folder entry of a rename durable (best effort: some file
 * systems refuse fsync on a folder). */
static void sync_folder(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* The mode of the new file: an older report's, else what the umask allows
 * a file created the usual way. */
static mode_t file_mode(const struct stat *old, bool exists)
{
	if (exists)
		return old->st_mode & 07777;
	mode_t mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

/* Writes R to an open stream; false (errno set) when any write failed. */
static bool write_stream(const struct report *r, enum report_format format, FILE *f)
{
	errno = 0;
	bool ok = report_write(r, format, f);
	ok = fflush(f) == 0 && ok && !ferror(f);
	if (!ok && !errno)
		errno = EIO;
	return ok;
}

/* Something that is not a regular file (/dev/stdout, a FIFO, a terminal)
 * is written in place: renaming over it would replace the device itself. */
static int write_in_place(const struct report *r, enum report_format format, const char *path, char **err)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
		return SESSION_ENV;
	}
	bool ok = write_stream(r, format, f);
	int e = errno;
	if (fclose(f) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (!ok) {
		*err = xasprintf("cannot write %s: %s", path, strerror(e));
		return SESSION_ENV;
	}
	return SESSION_OK;
}

static int write_atomic(const struct report *r, enum report_format format, const char *path, char **err)
{
	struct stat old;
	bool exists = stat(path, &old) == 0;
	if (exists && !S_ISREG(old.st_mode) && !S_ISDIR(old.st_mode))
		return write_in_place(r, format, path, err);
	if (exists && S_ISDIR(old.st_mode)) {
		*err = xasprintf("cannot write %s: it is a folder; name a file", path);
		return SESSION_ENV;
	}
	char *copy_dir = xstrdup(path), *copy_base = xstrdup(path);
	char *dir = xstrdup(dirname(copy_dir));
	char *tmp = xasprintf("%s/.%s.XXXXXX", dir, basename(copy_base));
	free(copy_dir);
	free(copy_base);
	int rc = SESSION_ENV, e = 0;
	bool created = false;
	int fd = mkstemp(tmp);
	FILE *f = NULL;
	if (fd < 0) {
		e = errno;
		goto done;
	}
	created = true;
	if (fchmod(fd, file_mode(&old, exists)) != 0 || !(f = fdopen(fd, "w"))) {
		e = errno;
		close(fd);
		goto done;
	}
	bool ok = write_stream(r, format, f);
	e = errno;
	if (ok && fsync(fileno(f)) != 0) {
		ok = false;
		e = errno;
	}
	if (fclose(f) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (!ok)
		goto done;
	if (rename(tmp, path) != 0) {
		e = errno;
		goto done;
	}
	created = false;
	sync_folder(dir);
	rc = SESSION_OK;
done:
	if (rc != SESSION_OK)
		*err = xasprintf("cannot write %s: %s", path, strerror(e ? e : EIO));
	if (created)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}

int report_export(struct session *s, enum report_format format, const char *path, char **err)
{
	*err = NULL;
	struct report *r = report_build(s, err);
	if (!r)
		return SESSION_ENV;
	int rc = SESSION_OK;
	if (!path || strcmp(path, "-") == 0) {
		if (!write_stream(r, format, stdout)) {
			*err = xasprintf("cannot write to standard output: %s", strerror(errno));
			rc = SESSION_ENV;
		}
	} else {
		rc = write_atomic(r, format, path, err);
	}
	if (rc == SESSION_OK && !r->verified) {
		*err = xasprintf("the record of run %s does not verify (%s); the report says so", r->run_id,
			r->verify_message);
		rc = SESSION_REFUSED;
	}
	report_destroy(r);
	return rc;
}

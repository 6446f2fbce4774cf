/* Writing a report to a file so that it is whole or absent: a temporary
 * file beside the target, written, flushed to disk, then renamed over it.
 * A failure leaves no temporary file and an older report untouched. A
 * symbolic link is followed to the file it names; a database is never
 * written over. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
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

/* Something that is not a regular file (a FIFO, a terminal), or one of a
 * process's open files (/dev/stdout, /dev/fd/N), is written in place:
 * renaming over it would replace the device or the link itself. Appended,
 * as a shell appends to its own standard output: what the file holds
 * before stays before the report. */
static int write_in_place(const struct report *r, enum report_format format, const char *path, const char *shown,
	char **err)
{
	FILE *f = fopen(path, "a");
	if (!f) {
		*err = xasprintf("cannot write %s: %s", shown, strerror(errno));
		return CS_ENV;
	}
	bool ok = write_stream(r, format, f);
	int e = errno;
	if (fclose(f) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (!ok) {
		*err = xasprintf("cannot write %s: %s", shown, strerror(e));
		return CS_ENV;
	}
	return CS_OK;
}

/* PATH with each symbolic link followed to what it names (a relative
 * target is relative to the link's folder), up to the first name that is
 * not a link or does not exist: where a rename puts the report without
 * replacing the link. *OPEN_FILE: a link in /proc (/dev/stdout leads to
 * /proc/self/fd/1), a process's open file, to be written in place. NULL
 * with errno ELOOP after too many links. Caller frees. */
static char *follow_links(const char *path, bool *open_file)
{
	*open_file = false;
	char *cur = xstrdup(path);
	for (int hops = 0; hops < 40; hops++) {
		struct stat st;
		if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
			return cur;
		char *copy = xstrdup(cur);
		char *dir = xstrdup(dirname(copy));
		free(copy);
		char *real_dir = realpath(dir, NULL);
		*open_file = real_dir && strncmp(real_dir, "/proc/", 6) == 0;
		free(real_dir);
		char target[PATH_MAX];
		ssize_t n = *open_file ? 0 : readlink(cur, target, sizeof(target) - 1);
		if (*open_file || n <= 0) {
			free(dir);
			return cur; /* written as it is: in place, or a failure naming it */
		}
		target[n] = '\0';
		free(cur);
		cur = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", dir, target);
		free(dir);
	}
	free(cur);
	errno = ELOOP;
	return NULL;
}

/* True when the file at PATH starts as an SQLite database or its
 * write-ahead log does: the record, whose loss a report must not cause. */
static bool is_database(const char *path)
{
	unsigned char head[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, head, sizeof(head));
	close(fd);
	if (n == (ssize_t)sizeof(head) && memcmp(head, "SQLite format 3", 16) == 0)
		return true;
	/* the WAL header's magic number, big-endian, with either checksum order */
	return n >= 4 && head[0] == 0x37 && head[1] == 0x7f && head[2] == 0x06 && (head[3] & 0xfe) == 0x82;
}

/* Writes to PATH whole or not at all. SHOWN: the path as given, for the
 * messages (PATH is where its links lead). */
static int write_atomic(const struct report *r, enum report_format format, const char *path, const char *shown,
	char **err)
{
	struct stat old;
	bool exists = stat(path, &old) == 0;
	if (exists && !S_ISREG(old.st_mode) && !S_ISDIR(old.st_mode))
		return write_in_place(r, format, path, shown, err);
	if (exists && S_ISDIR(old.st_mode)) {
		*err = xasprintf("cannot write %s: it is a folder; name a file", shown);
		return CS_ENV;
	}
	if (exists && is_database(path)) {
		*err = xasprintf("%s is an SQLite database (the record?): a report is never written over one; "
			"name another file", shown);
		return CS_INVALID;
	}
	char *copy_dir = xstrdup(path), *copy_base = xstrdup(path);
	char *dir = xstrdup(dirname(copy_dir));
	char *tmp = xasprintf("%s/.%s.XXXXXX", dir, basename(copy_base));
	free(copy_dir);
	free(copy_base);
	int rc = CS_ENV, e = 0;
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
	rc = CS_OK;
done:
	if (rc != CS_OK && strcmp(path, shown) != 0)
		*err = xasprintf("cannot write %s (a link to %s): %s", shown, path, strerror(e ? e : EIO));
	else if (rc != CS_OK)
		*err = xasprintf("cannot write %s: %s", path, strerror(e ? e : EIO));
	if (created)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}

int report_export(struct session *s, enum report_format format, const char *path, char **err)
{
	assert(s && err);
	*err = NULL;
	struct report *r = report_build(s, err);
	if (!r)
		return CS_ENV;
	int rc = CS_OK;
	if (!path || strcmp(path, "-") == 0) {
		if (!write_stream(r, format, stdout)) {
			*err = xasprintf("cannot write to standard output: %s", strerror(errno));
			rc = CS_ENV;
		}
	} else {
		bool open_file = false;
		char *target = follow_links(path, &open_file);
		if (!target) {
			*err = xasprintf("cannot write %s: %s", path, strerror(errno));
			rc = CS_ENV;
		} else if (open_file) {
			rc = write_in_place(r, format, target, path, err);
		} else {
			rc = write_atomic(r, format, target, path, err);
		}
		free(target);
	}
	if (rc == CS_OK && !r->verified) {
		*err = xasprintf("the record of run %s does not verify (%s); the report says so", r->run_id,
			r->verify_message);
		rc = CS_REFUSED;
	}
	report_destroy(r);
	return rc;
}

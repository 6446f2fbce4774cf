/* The file side of a Markdown import, shared by the import dialog and
 * `countersign import`: the runbook read whole (never more than
 * IMPORT_MAX_BYTES), and the checklist written whole or not at all (a
 * temporary file beside the target, flushed to disk, then linked in as a
 * new name or renamed over the old one), so that an interrupted import
 * never leaves half a checklist where a run would load it. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "countersign/exitcode.h"
#include "countersign/import.h"
#include "countersign/util.h"
#include "ui.h"

/* Reads FD up to LIMIT + 1 bytes (one more tells a file over LIMIT). */
static bool read_fd(int fd, size_t limit, struct strbuf *sb)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if (n == 0)
			return true;
		strbuf_add(sb, buf, (size_t)n);
		if (sb->len > limit)
			return true;
	}
}

int ui_import_read(const char *path, char **text, size_t *len, char **err)
{
	assert(path && text && len && err);
	*text = NULL;
	*len = 0;
	*err = NULL;
	bool is_stdin = strcmp(path, "-") == 0;
	const char *shown = is_stdin ? "standard input" : path;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*err = xasprintf("cannot read %s: %s", shown, strerror(errno));
		return CS_ENV;
	}
	int rc = CS_ENV;
	struct strbuf sb = {0};
	struct stat st;
	if (fstat(fd, &st) != 0) {
		*err = xasprintf("cannot read %s: %s", shown, strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		*err = xasprintf("%s is a folder: name a Markdown file", shown);
		rc = CS_INVALID;
		goto done;
	}
	/* refused before reading it whole: no runbook is that large */
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > IMPORT_MAX_BYTES) {
		*err = xasprintf("%s is too large to be a runbook (%lld bytes; at most %u)", shown,
			(long long)st.st_size, IMPORT_MAX_BYTES);
		rc = CS_INVALID;
		goto done;
	}
	if (!read_fd(fd, IMPORT_MAX_BYTES, &sb)) {
		*err = xasprintf("cannot read %s: %s", shown, strerror(errno));
		goto done;
	}
	if (sb.len > IMPORT_MAX_BYTES) {
		/* a pipe, or a file that grew while it was read */
		*err = xasprintf("%s is too large to be a runbook (more than %u bytes)", shown, IMPORT_MAX_BYTES);
		rc = CS_INVALID;
		goto done;
	}
	*len = sb.len;
	*text = sb.data ? strbuf_detach(&sb) : xstrdup("");
	rc = CS_OK;
done:
	strbuf_release(&sb);
	if (!is_stdin)
		close(fd);
	return rc;
}

char *ui_import_json_path(const char *md_path)
{
	assert(md_path);
	size_t len = strlen(md_path);
	const char *base = strrchr(md_path, '/');
	base = base ? base + 1 : md_path;
	const char *dot = strrchr(base, '.');
	if (dot && dot != base)
		len = (size_t)(dot - md_path);
	return xasprintf("%.*s.json", (int)len, md_path);
}

/* Makes the folder entry of a new name durable (best effort: some file
 * systems refuse fsync on a folder). */
static void sync_folder(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Writes TEXT to FD and flushes it to disk; false (errno set) on failure. */
static bool put_all(int fd, const char *text)
{
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return false;
		}
		done += (size_t)n;
	}
	return fsync(fd) == 0 || errno == EINVAL;  /* EINVAL: a device that cannot sync */
}

/* Something that is not a plain file (a FIFO, /dev/null) is written in
 * place: renaming over it would replace the device itself. */
static int write_in_place(const char *path, const char *text, char **err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || !put_all(fd, text)) {
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CS_ENV;
	}
	close(fd);
	return CS_OK;
}

/* Moves TMP to PATH: a new name with link(), which fails on a name that
 * appeared meanwhile, or over the old file with rename() when REPLACE. */
static int put_in_place(const char *tmp, const char *path, bool replace, char **err)
{
	if (replace) {
		if (rename(tmp, path) == 0)
			return CS_OK;
	} else if (link(tmp, path) == 0) {
		unlink(tmp);
		return CS_OK;
	} else if (errno == EEXIST) {
		*err = xasprintf("%s exists: it is left as it is (--force replaces it)", path);
		return CS_INVALID;
	} else if (errno == EPERM || errno == ENOTSUP || errno == ENOSYS || errno == EMLINK) {
		/* a file system without hard links: the name is checked, then taken */
		struct stat st;
		if (lstat(path, &st) == 0) {
			*err = xasprintf("%s exists: it is left as it is (--force replaces it)", path);
			return CS_INVALID;
		}
		if (rename(tmp, path) == 0)
			return CS_OK;
	}
	*err = xasprintf("cannot write %s: %s", path, strerror(errno));
	return CS_ENV;
}

int ui_import_write(const char *path, const char *text, bool replace, const char *input, char **err)
{
	assert(path && text && err);
	*err = NULL;
	struct stat st, in;
	bool exists = lstat(path, &st) == 0;
	char *target = NULL;
	if (exists && S_ISLNK(st.st_mode)) {
		/* a link is followed to its file (a dangling one is replaced) */
		target = realpath(path, NULL);
		if (target && stat(target, &st) != 0) {
			free(target);
			target = NULL;
		}
	}
	const char *where = target ? target : path;
	int rc = CS_INVALID;
	if (exists && S_ISDIR(st.st_mode)) {
		*err = xasprintf("%s is a folder: name the file to write", path);
		goto out;
	}
	if (exists && !replace) {
		*err = xasprintf("%s exists: it is left as it is (--force replaces it)", path);
		goto out;
	}
	if (exists && input && stat(input, &in) == 0 && in.st_dev == st.st_dev && in.st_ino == st.st_ino) {
		*err = xasprintf("%s is the runbook being imported: name another file", path);
		goto out;
	}
	if (exists && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		rc = write_in_place(where, text, err);
		goto out;
	}
	char *copy_dir = xstrdup(where), *copy_base = xstrdup(where);
	char *dir = xstrdup(dirname(copy_dir));
	char *tmp = xasprintf("%s/.%s.XXXXXX", dir, basename(copy_base));
	free(copy_dir);
	free(copy_base);
	/* an older file's mode, else what the umask gives a new file */
	mode_t mask = umask(0);
	umask(mask);
	mode_t mode = exists && S_ISREG(st.st_mode) ? st.st_mode & 07777 : 0666 & ~mask;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
		rc = CS_ENV;
	} else if (fchmod(fd, mode) != 0 || !put_all(fd, text)) {
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
		rc = CS_ENV;
	} else {
		rc = put_in_place(tmp, where, replace, err);
	}
	if (fd >= 0) {
		close(fd);
		if (rc != CS_OK)
			unlink(tmp);
	}
	if (rc == CS_OK)
		sync_folder(dir);
	free(tmp);
	free(dir);
out:
	free(target);
	return rc;
}

/* Temporary stand-ins for the HTML and JUnit renderings until
 * report_html.c and report_junit.c land: each says its format is not
 * built yet. Weak, so that a real renderer linked beside them wins; delete
 * a stand-in when its renderer lands, and this file (with its line in
 * meson.build) when both have. */
#include <errno.h>

#include "report/report_internal.h"

__attribute__((weak)) bool report_write_html(const struct report *r, FILE *out)
{
	(void)r;
	fputs("countersign: the html report is not available in this build\n", stderr);
	(void)out;
	errno = ENOSYS;
	return false;
}

__attribute__((weak)) bool report_write_junit(const struct report *r, FILE *out)
{
	(void)r;
	fputs("countersign: the junit report is not available in this build\n", stderr);
	(void)out;
	errno = ENOSYS;
	return false;
}

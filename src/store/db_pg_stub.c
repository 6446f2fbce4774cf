/* The PostgreSQL engine when it is not built: every open fails, so no
 * other member is ever called. Replaced by db_pg.c. */
#include "db_engine.h"

#include "countersign/util.h"

static enum db_rc pg_stub_open(const char *location, enum db_open_mode mode, struct db **out, char **err)
{
	(void)location;
	(void)mode;
	*out = NULL;
	*err = xstrdup("PostgreSQL support is not built");
	return DB_ERROR;
}

const struct db_ops db_pg_ops = {
	.engine = DB_POSTGRES,
	.open = pg_stub_open,
};

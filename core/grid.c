/* A table filled cell by cell (grid.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "grid.h"
#include "json.h"
#include "report.h"
#include "strbuf.h"
#include "when.h"

#define CELL_MAX 255 /* bytes a cell keeps */

struct awsphase_grid {
	size_t ncols, rows, cap; /* cap: rows allocated */
	struct strbuf *cell;     /* row by row */
};

struct awsphase_grid *grid_new(size_t ncols)
{
	struct awsphase_grid *g = xcalloc(1, sizeof(*g));

	g->ncols = ncols ? ncols : 1;
	return g;
}

void grid_put(struct awsphase_grid *g, size_t row, size_t col, const char *fmt, ...)
{
	struct strbuf *sb;
	va_list ap;

	if (col >= g->ncols)
		return;
	if (row >= g->cap) {
		size_t cap = g->cap ? g->cap : 8;

		while (row >= cap)
			cap *= 2;
		g->cell = xrealloc(g->cell, cap * g->ncols * sizeof(*g->cell));
		for (; g->cap < cap; g->cap++) {
			size_t j;

			for (j = 0; j < g->ncols; j++)
				g->cell[g->cap * g->ncols + j] = (struct strbuf)STRBUF_INIT;
		}
	}
	if (row >= g->rows)
		g->rows = row + 1;
	sb = &g->cell[row * g->ncols + col];
	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	if (sb->len > CELL_MAX) {
		size_t n = CELL_MAX;

		while (n && ((unsigned char)sb->buf[n] & 0xC0) == 0x80)
			n--;
		sb->len = n;
		sb->buf[n] = '\0';
	}
}

void grid_json(struct awsphase_grid *g, size_t row, size_t col, const cJSON *item,
	       const char *const *paths)
{
	char when[40];
	const char *s;

	for (; paths && *paths; paths++, col++) {
		const char *p = *paths;

		switch (*p) {
		case '#':
			grid_put(g, row, col, "%.0f", json_num(item, p + 1, 0));
			break;
		case '@':
			when_format(when_json(json_get(item, p + 1)), 0, when, sizeof(when));
			grid_put(g, row, col, "%s", when);
			break;
		case '/':
			s = json_str(item, p + 1);
			grid_put(g, row, col, "%s", !s ? "-" : strrchr(s, '/') ? strrchr(s, '/') + 1 : s);
			break;
		default:
			s = json_str(item, p);
			grid_put(g, row, col, "%s", s && *s ? s : "-");
		}
	}
}

void grid_show(struct awsphase_grid *g, const char *title, const char *const *headers)
{
	const char **cells;
	size_t i;

	if (!g)
		return;
	cells = xcalloc(g->rows * g->ncols + 1, sizeof(*cells));
	for (i = 0; i < g->rows * g->ncols; i++)
		cells[i] = g->cell[i].len ? g->cell[i].buf : NULL;
	report_table(title, headers, cells, g->rows);
	free(cells);
	for (i = 0; i < g->cap * g->ncols; i++)
		strbuf_release(&g->cell[i]);
	free(g->cell);
	free(g);
}

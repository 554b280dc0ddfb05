/* Grids, host services of module.h (h->grid_new, grid_put, grid_show): a
 * table filled cell by cell, then shown with report_table. */
#ifndef AWSPHASE_GRID_H
#define AWSPHASE_GRID_H

#include "awsphase/module.h"

struct awsphase_grid *grid_new(size_t ncols);
void grid_put(struct awsphase_grid *g, size_t row, size_t col, const char *fmt, ...) AWSPHASE_PRINTF(4, 5);
void grid_show(struct awsphase_grid *g, const char *title, const char *const *headers);
void grid_json(struct awsphase_grid *g, size_t row, size_t col, const cJSON *item,
	       const char *const *paths);

#endif

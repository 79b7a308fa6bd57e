/* A model's identity: everything a training run's result depends on, as
 * text, one `key: value` line each (numbers exact: %.17g reads back as the
 * same double). Positions, the file's path and bytes and comments are not
 * part of it, so the same model written another way has the same identity.
 *
 * A run folder keeps the identity of the model that trained it (model.id),
 * so --resume can refuse to continue a run with another model, and a sweep
 * can tell that a point's folder already holds that point's run. */
#ifndef RF_MODEL_ID_H
#define RF_MODEL_ID_H

#include "model.h"

/* What may differ between the model a run started with and the one that
 * continues it: RF_ID_ALL for none; RF_ID_BUT_EPOCHS lets train.epochs
 * grow or shrink (a run is extended by raising it), unless the schedule
 * derives from it (cosine without its own T), which the identity then
 * names instead. */
typedef enum { RF_ID_ALL, RF_ID_BUT_EPOCHS } rf_id_scope;

/* The identity as malloc'ed text (free it), or NULL when out of memory. */
char *rf_model_identity(const rf_model *m, rf_id_scope scope);

#endif

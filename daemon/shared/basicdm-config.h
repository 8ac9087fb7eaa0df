/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration library as basicdmd and basicdmctl use it: the volume
 * model (config-model.h), loading it (config-load.h), the problems a load
 * found (config-errors.h) and the --check verdict (config-print.h).
 *
 * Inside, from the bottom up, each header including only those above it:
 *   config-errors.h    the list of "file:line: reason" problems
 *   config-model.h     struct config, struct volume_config
 *   config-raw.h       settings as written, the same tree for both syntaxes
 *   config-trust.h     StrictModes: who may have written what is read
 *   config-source.h    the main file and its @includes as the text libconfig parses
 *   config-libconfig.h the main file into the raw tree
 *   config-ini.h       the drop-ins into the raw tree
 *   config-validate.h  the raw tree into the model
 *   config-load.h      all of it, in order
 */
#pragma once

#include "config-errors.h"
#include "config-load.h"
#include "config-model.h"
#include "config-print.h"

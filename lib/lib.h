/* SPDX-License-Identifier: GPL-2.0-only */
/* The lib room's door: what every binary needs (logging, cleanup, parsing, CIDRs). */
#pragma once

#include "macro.h"
#include "log.h"
#include "parse.h"
#include "cidr.h"
#include "strutil.h"
#include "fileio.h"

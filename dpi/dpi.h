/* SPDX-License-Identifier: GPL-2.0-only */
/* The dpi room's door: the packet pipeline (worker), the offline pcap source, the
 * application layer (HTTP via libhtp) and EVE JSON output. Other rooms include only this. */
#pragma once

#include "app.h"
#include "decode.h"
#include "flow.h"
#include "worker.h"
#include "http.h"
#include "eve.h"
#include "app_layer.h"
#include "pcap_source.h"
#include "msc_vars.h"

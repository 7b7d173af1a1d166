// SPDX-License-Identifier: GPL-2.0-only
/*
 * bpf suite: moatd's automatic bans (policyd/bans) and state file (policyd/state) against real
 * kernel maps (private, unpinned: moat_dp_open with no_pin). Bans: score -> blocklist entry
 * (reason auto, rule id, expiry), allowlisted / own / never-ban sources refused, an IPv6 /64
 * narrowed around an allowlisted host, escalation, expiry sweep with an unban event. State:
 * save -> restore into fresh maps (expired entries dropped, ban history back), adoption adds
 * nothing, damaged files are refused or skipped entry by entry. Exits 77 without bpf().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datapath/datapath.h"
#include "lib/lib.h"
#include "check.h"
#include "policyd/bans.h"
#include "policyd/state.h"

static char tmpdir[] = "/tmp/moat-test-bans-XXXXXX";
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct moat_dp *open_dp(void)
{
	struct moat_dp_opts o = { .no_pin = true,
				  .block_entries = 1024,
				  .allow_entries = 256,
				  .l4_entries = 256,
				  .note_entries = 1024 };
	struct moat_dp *dp = NULL;
	char err[256];
	int r = moat_dp_open(&o, &dp, err, sizeof(err));

	if (r == -EPERM || r == -EACCES) {
		fprintf(stderr, "SKIP: no bpf(): %s\n", err);
		exit(77);
	}
	if (r < 0) {
		fprintf(stderr, "moat_dp_open: %s\n", err);
		exit(1);
	}
	return dp;
}

static struct cidr cidr_of(const char *s)
{
	struct cidr c;

	if (cidr_parse(s, &c) < 0) {
		fprintf(stderr, "bad test cidr %s\n", s);
		exit(1);
	}
	return c;
}

/* The block entry of CIDR, or -ENOENT. */
static int get_block(struct moat_dp *dp, const char *cidr, struct moat_dp_entry *ret)
{
	struct moat_dp_entry k = { .kind = MOAT_KIND_BLOCK, .dir = MOAT_DIR_SRC };

	k.cidr = cidr_of(cidr);
	return moat_dp_get(dp, &k, ret);
}

static void add(struct moat_dp *dp, unsigned int kind, const char *cidr, uint64_t ttl,
		uint64_t expires_ns)
{
	struct moat_dp_entry e = {
		.kind = (uint8_t)kind, .dir = MOAT_DIR_SRC, .ttl_sec = ttl, .expires_ns = expires_ns
	};

	e.cidr = cidr_of(cidr);
	if (moat_dp_add(dp, &e) < 0) {
		fprintf(stderr, "add %s: %s\n", cidr, moat_dp_errmsg(dp));
		exit(1);
	}
}

static void alert(struct bans *b, const char *src, int prio, bool drop, uint32_t sid)
{
	struct cidr c = cidr_of(src);

	bans_alert(b, c.family, c.addr, prio, drop, sid);
}

static size_t count_in_file(const char *path, const char *needle)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[4096];
	size_t n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	return n;
}

static void test_bans(void)
{
	struct moat_dp *dp = open_dp();
	struct moatd_config cfg;
	struct bans *b = NULL;
	struct bans_stats st;
	struct moat_dp_entry e;
	char eve[PATH_MAX];
	int r;

	config_init(&cfg);
	cfg.ban_time_s = 1;
	cfg.ban_max_s = 60;
	cfg.never_ban[cfg.n_never_ban++] = cidr_of("198.18.9.0/24");
	snprintf(eve, sizeof(eve), "%s/eve.json", tmpdir);
	r = bans_new(&cfg, dp, &lock, eve, &b);
	CHECK(r == 0, "bans_new: %d", r);
	if (r < 0)
		exit(1);

	/* a score below the threshold does not ban; reaching it does */
	alert(b, "198.18.0.2", 2, false, 101);
	CHECK(get_block(dp, "198.18.0.2/32", &e) == -ENOENT, "banned below the threshold");
	alert(b, "198.18.0.2", 2, false, 102);
	CHECK(get_block(dp, "198.18.0.2/32", &e) == 0, "not banned at the threshold");
	CHECK(e.reason == MOAT_REASON_AUTO && e.rule_id == 102, "reason %u rule %u", e.reason,
	      e.rule_id);
	CHECK(e.expires_ns > moat_dp_now_ns(), "no expiry");

	/* a drop rule bans at once */
	alert(b, "198.18.0.3", 4, true, 103);
	CHECK(get_block(dp, "198.18.0.3/32", &e) == 0, "drop rule did not ban");

	/* protected sources: allowlist (prefix), own address, never-ban */
	add(dp, MOAT_KIND_ALLOW, "198.18.5.0/24", 0, 0);
	alert(b, "198.18.5.7", 1, false, 104);
	CHECK(get_block(dp, "198.18.5.7/32", &e) == -ENOENT, "allowlisted source banned");
	alert(b, "127.0.0.1", 1, false, 105);
	CHECK(get_block(dp, "127.0.0.1/32", &e) == -ENOENT, "own address banned");
	alert(b, "198.18.9.9", 1, false, 106);
	CHECK(get_block(dp, "198.18.9.9/32", &e) == -ENOENT, "never-ban source banned");

	/* IPv6: the /64, narrowed to the host when an allowlisted address is inside */
	alert(b, "fd00:6d6f:6174:7::1", 1, false, 107);
	CHECK(get_block(dp, "fd00:6d6f:6174:7::/64", &e) == 0, "IPv6 /64 not banned");
	add(dp, MOAT_KIND_ALLOW, "fd00:6d6f:6174:8::99", 0, 0);
	alert(b, "fd00:6d6f:6174:8::1", 1, false, 108);
	CHECK(get_block(dp, "fd00:6d6f:6174:8::/64", &e) == -ENOENT, "/64 with an allowed host");
	CHECK(get_block(dp, "fd00:6d6f:6174:8::1/128", &e) == 0, "not narrowed to the host");

	bans_get_stats(b, &st);
	CHECK(st.bans == 4 && st.active == 4, "bans %llu active %llu", (unsigned long long)st.bans,
	      (unsigned long long)st.active);
	CHECK(st.refused_allowlist == 1 && st.refused_own == 1 && st.refused_never_ban == 1,
	      "refusals %llu %llu %llu", (unsigned long long)st.refused_allowlist,
	      (unsigned long long)st.refused_own, (unsigned long long)st.refused_never_ban);
	CHECK(st.narrowed == 1, "narrowed %llu", (unsigned long long)st.narrowed);

	/* expiry: the sweep unbans (EVE unban) and a repeat offence escalates (1 s -> 4 s) */
	usleep(1200 * 1000);
	r = bans_sweep(b);
	CHECK(r == 4, "sweep removed %d", r);
	CHECK(get_block(dp, "198.18.0.2/32", &e) == -ENOENT, "expired ban not removed");
	bans_get_stats(b, &st);
	CHECK(st.unbans == 4 && st.active == 0, "unbans %llu active %llu",
	      (unsigned long long)st.unbans, (unsigned long long)st.active);
	alert(b, "198.18.0.3", 4, true, 109);
	CHECK(get_block(dp, "198.18.0.3/32", &e) == 0, "repeat offender not banned");
	CHECK(e.expires_ns > moat_dp_now_ns() + 3000000000ull, "ban not escalated");

	/* a ban removed by an operator is noticed */
	moat_dp_delete(dp, &(struct moat_dp_entry){ .kind = MOAT_KIND_BLOCK,
						    .cidr = cidr_of("198.18.0.3/32") });
	bans_sweep(b);
	bans_free(b);
	CHECK(count_in_file(eve, "\"event_type\":\"ban\"") == 8, "ban events: %zu",
	      count_in_file(eve, "\"event_type\":\"ban\""));
	CHECK(count_in_file(eve, "\"action\":\"refused\"") == 3, "refused events");
	CHECK(count_in_file(eve, "\"reason\":\"expired\"") == 4, "expired unbans");
	CHECK(count_in_file(eve, "\"reason\":\"removed\"") == 1, "removed unban");
	CHECK(count_in_file(
		      eve,
		      "\"action\":\"ban\",\"prefix\":\"198.18.0.2/32\",\"reason\":\"score\",\"rule_ids\":[101,102]") ==
		      1,
	      "rule ids of the score ban");
	moat_dp_close(dp);
	printf("ok: bans\n");
}

static int write_file(const char *path, const char *text)
{
	_cleanup_fclose_ FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0)
		return -errno;
	return 0;
}

static void test_state(void)
{
	struct moat_dp *dp = open_dp(), *dp2 = open_dp(), *dp3 = open_dp();
	struct state_restore_stats rst;
	struct moatd_config cfg;
	struct bans *b = NULL, *b2 = NULL;
	struct bans_stats st;
	struct moat_dp_entry e;
	char path[PATH_MAX], err[512];
	uint64_t hash = 0;
	int r;

	config_init(&cfg);
	snprintf(path, sizeof(path), "%s/state.json", tmpdir);
	CHECK(bans_new(&cfg, dp, &lock, NULL, &b) == 0, "bans_new");
	add(dp, MOAT_KIND_BLOCK, "198.18.1.0/24", 3600, 0);
	add(dp, MOAT_KIND_ALLOW, "198.18.2.2", 0, 0);
	add(dp, MOAT_KIND_BLOCK, "198.18.3.3", 0, moat_dp_now_ns() - 1); /* expired */
	alert(b, "198.18.4.4", 1, false, 201);
	r = state_save(path, dp, &lock, b, &hash, err, sizeof(err));
	CHECK(r == 0, "state_save: %s", err);
	CHECK(count_in_file(path, "198.18.3.3") == 0, "expired entry saved");
	CHECK(count_in_file(path, "\"198.18.4.4/32\"") == 2, "ban entry + history");

	/* fresh maps: everything unexpired comes back, the ban history too */
	CHECK(bans_new(&cfg, dp2, &lock, NULL, &b2) == 0, "bans_new 2");
	r = state_restore(path, dp2, &lock, b2, false, &rst, err, sizeof(err));
	CHECK(r == 0, "state_restore: %s", err);
	CHECK(rst.entries == 3 && rst.restored == 3 && rst.bans == 1,
	      "entries %zu restored %zu "
	      "bans %zu",
	      rst.entries, rst.restored, rst.bans);
	CHECK(get_block(dp2, "198.18.1.0/24", &e) == 0 &&
		      e.expires_ns > moat_dp_now_ns() + 3500ull * 1000000000u,
	      "block /24 or its expiry not restored");
	CHECK(get_block(dp2, "198.18.4.4/32", &e) == 0 && e.reason == MOAT_REASON_AUTO &&
		      e.rule_id == 201,
	      "ban not restored with reason and rule id");
	bans_get_stats(b2, &st);
	CHECK(st.active == 1, "ban history not restored (%llu)", (unsigned long long)st.active);

	/* adopted maps: nothing is added */
	r = state_restore(path, dp3, &lock, NULL, true, &rst, err, sizeof(err));
	CHECK(r == 0 && rst.restored == 0, "adopted restore added %zu", rst.restored);
	CHECK(get_block(dp3, "198.18.1.0/24", &e) == -ENOENT, "adopted maps got entries");

	/* damaged files */
	write_file(path, "{\"version\": 1, \"entries\": [");
	r = state_restore(path, dp3, &lock, NULL, false, &rst, err, sizeof(err));
	CHECK(r == -EINVAL && strstr(err, "state.json:1:"), "truncated JSON: %d %s", r, err);
	write_file(path, "{\"version\": 9, \"entries\": [], \"bans\": []}");
	r = state_restore(path, dp3, &lock, NULL, false, &rst, err, sizeof(err));
	CHECK(r == -EINVAL && strstr(err, "version 9"), "version: %d %s", r, err);
	write_file(path, "{\"version\": 1, \"bans\": [], \"entries\": ["
			 "{\"kind\":\"block\",\"dir\":\"src\",\"cidr\":\"10.0.0.300/32\","
			 "\"proto\":0,\"port\":0,\"reason\":0,\"rule_id\":0,\"expires\":0},"
			 "{\"kind\":\"block\",\"dir\":\"src\",\"cidr\":\"198.18.6.6/32\","
			 "\"proto\":0,\"port\":0,\"reason\":0,\"rule_id\":0,\"expires\":1},"
			 "{\"kind\":\"nope\",\"dir\":\"src\",\"cidr\":\"198.18.6.7/32\","
			 "\"proto\":0,\"port\":0,\"reason\":0,\"rule_id\":0,\"expires\":0},"
			 "{\"kind\":\"block\",\"dir\":\"src\",\"cidr\":\"198.18.6.8/32\","
			 "\"proto\":0,\"port\":0,\"reason\":0,\"rule_id\":0,\"expires\":0}]}");
	r = state_restore(path, dp3, &lock, NULL, false, &rst, err, sizeof(err));
	CHECK(r == 0 && rst.invalid == 2 && rst.expired == 1 && rst.restored == 1,
	      "skips: r %d invalid %zu expired %zu restored %zu", r, rst.invalid, rst.expired,
	      rst.restored);
	CHECK(get_block(dp3, "198.18.6.8/32", &e) == 0, "valid entry after bad ones lost");
	unlink(path);
	r = state_restore(path, dp3, &lock, NULL, false, &rst, err, sizeof(err));
	CHECK(r == 0 && rst.entries == 0, "missing file is not an error");

	bans_free(b);
	bans_free(b2);
	moat_dp_close(dp);
	moat_dp_close(dp2);
	moat_dp_close(dp3);
	printf("ok: state\n");
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	log_set_level(LOG_LEVEL_ERR);
	test_bans();
	test_state();
	if (getenv("KEEP"))
		return failures ? 1 : 0;
	snprintf(cmd, sizeof(cmd), "rm -rf -- %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_summary();
}

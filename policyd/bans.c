// SPDX-License-Identifier: GPL-2.0-only
/* Automatic bans (see bans.h): offender verdicts -> protected-source checks -> kernel
 * blocklist entries with expiry -> EVE ban/unban events; the expiry sweep. */
#include "bans.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "dpi/dpi.h"

#define OWN_MAX 4096 /* host addresses remembered (more are counted, not protected) */

struct bans {
	const struct moatd_config *cfg;
	struct moat_dp *dp;
	pthread_mutex_t *lock;
	char *eve_path;
	struct eve_writer *eve;
	struct offender_table *off;
	struct ban_info *active; /* cap: cfg->max_offenders */
	size_t n_active, cap_active;
	int notify_fd; /* eventfd: readable after a ban (the daemon saves its state) */
	int allow_fd[4]; /* pinned allowlist maps (MOAT_M_AL4_H..AL6_P) for O(1) host checks */
	struct cidr *own; /* host addresses (/32, /128) */
	size_t n_own;
	uint64_t own_dropped;
	struct bans_stats st;
	struct bans_rule_count *rules; /* open addressing by sid, BANS_MAX_RULES slots */
	size_t n_rules;
	uint64_t rules_refused;
	struct bans_alert_rec *ring; /* BANS_ALERT_RING */
	uint64_t ring_next; /* alerts recorded since start; next slot = ring_next % cap */
};

static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the host's own addresses (netlink) ---- */

struct own_dump {
	struct cidr *v;
	size_t n, cap;
	uint64_t dropped;
};

static int own_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int own_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	struct own_dump *d = data;
	const struct nlattr *a;
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
	struct cidr c = { 0 };

	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), own_attr_cb, tb);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || mnl_attr_get_payload_len(a) < alen)
		return MNL_CB_OK;
	c.family = ifa->ifa_family;
	c.prefix = (uint8_t)(alen * 8);
	memcpy(c.addr, mnl_attr_get_payload(a), alen);
	if (d->n == d->cap) {
		if (d->cap >= OWN_MAX) {
			d->dropped++;
			return MNL_CB_OK;
		}
		size_t nc = d->cap ? d->cap * 2 : 16;
		struct cidr *nv = realloc(d->v, nc * sizeof(*nv));

		if (!nv)
			return MNL_CB_ERROR;
		d->v = nv;
		d->cap = nc;
	}
	d->v[d->n++] = c;
	return MNL_CB_OK;
}

/* Dump every address of every interface in this network namespace. */
static int own_dump(struct own_dump *d)
{
	char buf[8192]; /* MNL_SOCKET_BUFFER_SIZE is a VLA; its maximum */
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	unsigned int seq = (unsigned int)time(NULL), portid;
	ssize_t n;
	int r = 0;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		int k = mnl_cb_run(buf, (size_t)n, seq, portid, own_msg_cb, d);

		if (k == MNL_CB_STOP)
			break;
		if (k < 0) {
			r = -errno ? -errno : -EIO;
			goto out;
		}
	}
	if (n < 0)
		r = -errno;
out:
	mnl_socket_close(nl);
	return r;
}

int bans_refresh_own(struct bans *b)
{
	struct own_dump d = { 0 };
	int r = own_dump(&d);

	if (r < 0) {
		free(d.v);
		return r;
	}
	pthread_mutex_lock(b->lock);
	free(b->own);
	b->own = d.v;
	b->n_own = d.n;
	b->own_dropped = d.dropped;
	pthread_mutex_unlock(b->lock);
	return 0;
}

/* ---- protection checks ---- */

static bool overlap(const struct cidr *a, const struct cidr *b)
{
	if (a->family != b->family)
		return false;
	return a->prefix <= b->prefix ? cidr_contains(a, b->family, b->addr) :
					cidr_contains(b, a->family, a->addr);
}

struct allow_probe {
	const struct cidr *host, *prefix;
	bool host_hit, prefix_hit;
};

static int allow_cb(const struct moat_dp_entry *e, void *userdata)
{
	struct allow_probe *p = userdata;

	if (e->kind != MOAT_KIND_ALLOW)
		return 1; /* allow entries come first: done */
	if (e->expires_ns && e->expires_ns <= moat_dp_now_ns())
		return 0;
	if (overlap(&e->cidr, p->host))
		p->host_hit = true;
	if (overlap(&e->cidr, p->prefix))
		p->prefix_hit = true;
	return p->host_hit;
}

/* A live allowlist entry covers the host: exact hash lookup, then the longest prefix (LPM
 * lookup with the full length). O(1), no map walk, so a ban costs microseconds. The maps and
 * key layouts are the datapath's ABI (moat_abi.h). */
static bool allowlisted(struct bans *b, const struct cidr *host)
{
	bool v4 = host->family == AF_INET;
	int hfd = b->allow_fd[v4 ? MOAT_M_AL4_H : MOAT_M_AL6_H];
	int pfd = b->allow_fd[v4 ? MOAT_M_AL4_P : MOAT_M_AL6_P];
	uint64_t now = moat_dp_now_ns();
	struct moat_entry e;
	struct moat_lpm6_key k6 = { .prefixlen = 128 };
	struct moat_lpm4_key k4 = { .prefixlen = 32 };

	if (hfd >= 0 && bpf_map_lookup_elem(hfd, host->addr, &e) == 0 &&
	    (!e.expires_ns || e.expires_ns > now))
		return true;
	memcpy(k4.addr, host->addr, 4);
	memcpy(k6.addr, host->addr, 16);
	if (pfd >= 0 && bpf_map_lookup_elem(pfd, v4 ? (void *)&k4 : (void *)&k6, &e) == 0 &&
	    (!e.expires_ns || e.expires_ns > now))
		return true;
	return false;
}

enum protect { PROT_NONE = 0, PROT_ALLOW, PROT_OWN, PROT_NEVER };

static const char *protect_name(enum protect p)
{
	return p == PROT_ALLOW ? "allowlist" : p == PROT_OWN ? "own-address" : "never-ban";
}

/* Is HOST protected (refuse), or does PREFIX cover something protected (narrow)? Lock held. */
static enum protect check_protected(struct bans *b, const struct cidr *host,
				    const struct cidr *prefix, bool *ret_narrow)
{
	struct allow_probe ap = { .host = host, .prefix = prefix };

	*ret_narrow = false;
	for (size_t i = 0; i < b->cfg->n_never_ban; i++) {
		if (overlap(&b->cfg->never_ban[i], host))
			return PROT_NEVER;
		if (overlap(&b->cfg->never_ban[i], prefix))
			*ret_narrow = true;
	}
	for (size_t i = 0; i < b->n_own; i++) {
		if (overlap(&b->own[i], host))
			return PROT_OWN;
		if (overlap(&b->own[i], prefix))
			*ret_narrow = true;
	}
	if (allowlisted(b, host))
		return PROT_ALLOW;
	if (prefix->prefix == host->prefix && b->allow_fd[0] >= 0 && b->allow_fd[1] >= 0 &&
	    b->allow_fd[2] >= 0 && b->allow_fd[3] >= 0)
		return PROT_NONE;
	/* an aggregated prefix: does it cover an allowlisted address? (walks the allowlist) */
	moat_dp_list(b->dp, allow_cb, &ap);
	if (ap.host_hit)
		return PROT_ALLOW;
	if (ap.prefix_hit)
		*ret_narrow = true;
	return PROT_NONE;
}

/* ---- EVE ---- */

static void eve_ban_event(struct bans *b, const char *event_type, const char *action,
			  const struct cidr *host, const struct ban_info *bi, const char *reason)
{
	char ip[CIDR_STRLEN], pfx[CIDR_STRLEN], ts[EVE_TS_LEN];
	json_t *o, *obj, *sids;
	uint64_t now = wall_us();

	if (!b->eve)
		return;
	o = eve_event_new(event_type, now, NULL, 0);
	obj = json_object();
	sids = json_array();
	if (!o || !obj || !sids) {
		json_decref(o);
		json_decref(obj);
		json_decref(sids);
		return;
	}
	/* as every other EVE event: IPv6 uncompressed, so log tools can join bans to alerts */
	eve_format_ip(host->family == AF_INET ? 4 : 6, host->addr, ip, sizeof(ip));
	json_object_set_new(o, "src_ip", json_string(ip));
	json_object_set_new(obj, "action", json_string(action));
	json_object_set_new(obj, "prefix", json_string(cidr_format(&bi->prefix, pfx, sizeof(pfx))));
	json_object_set_new(obj, "reason", json_string(reason));
	for (size_t i = 0; i < bi->n_sids; i++)
		json_array_append_new(sids, json_integer(bi->sids[i]));
	json_object_set_new(obj, "rule_ids", sids);
	json_object_set_new(obj, "score", json_real(bi->score));
	json_object_set_new(obj, "offences", json_integer(bi->offences));
	if (bi->expires_ns) {
		uint64_t left_ns =
			bi->expires_ns > moat_dp_now_ns() ? bi->expires_ns - moat_dp_now_ns() : 0;

		eve_format_timestamp(now + left_ns / 1000u, ts, sizeof(ts));
		json_object_set_new(obj, "expires", json_string(ts));
		json_object_set_new(
			obj, "duration",
			json_integer((json_int_t)((left_ns + 999999999u) / 1000000000u)));
	}
	json_object_set_new(o, "ban", obj);
	if (eve_writer_write(b->eve, o) == 0)
		eve_writer_flush(b->eve);
	json_decref(o);
}

/* ---- lifecycle ---- */

int bans_new(const struct moatd_config *cfg, struct moat_dp *dp, pthread_mutex_t *lock,
	     const char *eve_path, struct bans **ret)
{
	struct offender_config oc = {
		.threshold = cfg->threshold,
		.window_ns = cfg->window_s * 1000000000ull,
		.ban_on_drop = cfg->ban_on_drop,
		.ban_ns = cfg->ban_time_s * 1000000000ull,
		.ban_max_ns = cfg->ban_max_s * 1000000000ull,
		.escalate = cfg->escalate,
		.forget_ns = cfg->forget_s * 1000000000ull,
		.v4_prefix = cfg->ipv4_prefix,
		.v6_prefix = cfg->ipv6_prefix,
		.max_entries = cfg->max_offenders,
	};
	struct bans *b;
	int r;

	memcpy(oc.weight, cfg->weight, sizeof(oc.weight));
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (int i = 0; i < 4; i++)
		b->allow_fd[i] = -1;
	b->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->notify_fd < 0) {
		r = -errno;
		goto fail;
	}
	b->cfg = cfg;
	b->dp = dp;
	b->lock = lock;
	b->cap_active = cfg->max_offenders;
	for (int i = 0; i < 4; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", moat_dp_pin_root(dp),
			 moat_dp_map_name(MOAT_M_AL4_H + (unsigned int)i));
		b->allow_fd[i] = moat_dp_pin_root(dp)[0] ? bpf_obj_get(path) : -1;
		if (b->allow_fd[i] < 0)
			log_warn("bans: %s: %s; allowlisted hosts are found by a map walk", path,
				 strerror(errno));
	}
	r = offender_table_new(&oc, &b->off);
	if (r < 0)
		goto fail;
	b->rules = calloc(BANS_MAX_RULES, sizeof(*b->rules));
	b->ring = calloc(BANS_ALERT_RING, sizeof(*b->ring));
	if (!b->rules || !b->ring) {
		r = -ENOMEM;
		goto fail;
	}
	if (eve_path) {
		b->eve_path = strdup(eve_path);
		if (!b->eve_path) {
			r = -ENOMEM;
			goto fail;
		}
		r = eve_writer_open(eve_path, true, &b->eve);
		if (r < 0)
			goto fail;
	}
	r = bans_refresh_own(b);
	if (r < 0)
		log_warn("bans: cannot read the host's addresses (netlink): %s; only never-ban "
			 "networks and the allowlist protect them",
			 strerror(-r));
	*ret = b;
	return 0;
fail:
	bans_free(b);
	return r;
}

void bans_free(struct bans *b)
{
	if (!b)
		return;
	eve_writer_close(b->eve);
	offender_table_free(b->off);
	free(b->rules);
	free(b->ring);
	free(b->eve_path);
	free(b->active);
	free(b->own);
	for (int i = 0; i < 4; i++) {
		if (b->allow_fd[i] >= 0)
			close(b->allow_fd[i]);
	}
	if (b->notify_fd >= 0)
		close(b->notify_fd);
	free(b);
}

int bans_reopen(struct bans *b)
{
	struct eve_writer *w;
	int r;

	if (!b->eve_path)
		return 0;
	r = eve_writer_open(b->eve_path, true, &w);
	if (r < 0)
		return r;
	pthread_mutex_lock(b->lock);
	eve_writer_close(b->eve);
	b->eve = w;
	pthread_mutex_unlock(b->lock);
	return 0;
}

int bans_eve_write(struct bans *b, const json_t *event)
{
	int r = 0;

	pthread_mutex_lock(b->lock);
	if (b->eve) {
		r = eve_writer_write(b->eve, event);
		if (r == 0)
			r = eve_writer_flush(b->eve);
	}
	pthread_mutex_unlock(b->lock);
	return r;
}

/* Lock held. */
static struct ban_info *find_active(struct bans *b, const struct cidr *p)
{
	for (size_t i = 0; i < b->n_active; i++) {
		if (!memcmp(&b->active[i].prefix, p, sizeof(*p)))
			return &b->active[i];
	}
	return NULL;
}

/* Lock held. */
static struct ban_info *add_active(struct bans *b, const struct ban_info *bi)
{
	struct ban_info *a = find_active(b, &bi->prefix);

	if (a) {
		*a = *bi;
		return a;
	}
	if (b->n_active == b->cap_active) {
		b->st.refused_table_full++;
		return NULL;
	}
	if (!b->active) {
		b->active = calloc(b->cap_active, sizeof(*b->active));
		if (!b->active)
			return NULL;
	}
	b->active[b->n_active] = *bi;
	return &b->active[b->n_active++];
}

static void remove_active(struct bans *b, size_t i)
{
	b->active[i] = b->active[--b->n_active];
}

/* Under the lock. A fixed open-addressed table: rule ids are few (a ruleset's alerting
 * rules), and a full table counts refusals rather than growing. */
static void count_rule(struct bans *b, uint32_t sid)
{
	size_t mask = BANS_MAX_RULES - 1, i = (sid * 2654435761u) & mask;

	for (size_t k = 0; k < BANS_MAX_RULES; k++, i = (i + 1) & mask) {
		struct bans_rule_count *rc = &b->rules[i];

		if (rc->alerts && rc->sid != sid)
			continue;
		if (!rc->alerts)
			b->n_rules++;
		rc->sid = sid;
		rc->alerts++;
		rc->last_us = wall_us();
		return;
	}
	b->rules_refused++;
}

/* Under the lock. */
static void record_alert(struct bans *b, int family, const void *addr, int priority, bool drop,
			 uint32_t sid)
{
	struct bans_alert_rec *a = &b->ring[b->ring_next++ % BANS_ALERT_RING];

	*a = (struct bans_alert_rec){
		.seq = b->ring_next,
		.ts_us = wall_us(),
		.sid = sid,
		.priority = (uint8_t)(priority < 1 ? 1 :
				      priority > 4 ? 4 :
						     priority),
		.drop = drop,
		.family = family,
	};
	memcpy(a->src, addr, family == AF_INET ? 4 : 16);
}

size_t bans_recent_alerts(struct bans *b, int (*cb)(void *ctx, const struct bans_alert_rec *a),
			  void *ctx, uint64_t *ret_overwritten)
{
	size_t n = 0;

	pthread_mutex_lock(b->lock);
	for (uint64_t i = b->ring_next; i > 0 && b->ring_next - i < BANS_ALERT_RING; i--) {
		n++;
		if (cb(ctx, &b->ring[(i - 1) % BANS_ALERT_RING]))
			break;
	}
	if (ret_overwritten)
		*ret_overwritten =
			b->ring_next > BANS_ALERT_RING ? b->ring_next - BANS_ALERT_RING : 0;
	pthread_mutex_unlock(b->lock);
	return n;
}

size_t bans_rule_counts(struct bans *b, void (*cb)(void *ctx, const struct bans_rule_count *rc),
			void *ctx, uint64_t *ret_refused)
{
	size_t n = 0;

	pthread_mutex_lock(b->lock);
	for (size_t i = 0; i < BANS_MAX_RULES; i++)
		if (b->rules[i].alerts) {
			cb(ctx, &b->rules[i]);
			n++;
		}
	if (ret_refused)
		*ret_refused = b->rules_refused;
	pthread_mutex_unlock(b->lock);
	return n;
}

size_t bans_offenders(struct bans *b, void (*cb)(void *ctx, const struct offender_snapshot *o),
		      void *ctx)
{
	size_t n;

	pthread_mutex_lock(b->lock);
	n = offender_foreach(b->off, moat_dp_now_ns(), cb, ctx);
	pthread_mutex_unlock(b->lock);
	return n;
}

void bans_get_scoring(struct bans *b, struct bans_scoring *ret)
{
	struct offender_config oc;

	pthread_mutex_lock(b->lock);
	offender_get_config(b->off, &oc);
	pthread_mutex_unlock(b->lock);
	*ret = (struct bans_scoring){
		.threshold = oc.threshold,
		.window_s = oc.window_ns / 1000000000ull,
		.ban_time_s = oc.ban_ns / 1000000000ull,
		.ban_max_s = oc.ban_max_ns / 1000000000ull,
	};
}

int bans_set_scoring(struct bans *b, const struct bans_scoring *sc, char *err, size_t errlen)
{
	struct offender_config oc;

	/* the config file's ranges (config.c) */
	if (!(sc->threshold >= 1 && sc->threshold <= 1000000)) {
		snprintf(err, errlen, "threshold %g out of range (1 to 1000000)", sc->threshold);
		return -EINVAL;
	}
	if (sc->window_s < 1 || sc->window_s > 7 * 86400) {
		snprintf(err, errlen, "window %" PRIu64 "s out of range (1s to 7d)", sc->window_s);
		return -EINVAL;
	}
	if (sc->ban_time_s < 1 || sc->ban_time_s > 365 * 86400 || sc->ban_max_s < 1 ||
	    sc->ban_max_s > 365 * 86400) {
		snprintf(err, errlen, "ban time out of range (1s to 365d)");
		return -EINVAL;
	}
	if (sc->ban_max_s < sc->ban_time_s) {
		snprintf(err, errlen,
			 "ban-max (%" PRIu64 "s) is shorter than ban-time (%" PRIu64 "s)",
			 sc->ban_max_s, sc->ban_time_s);
		return -EINVAL;
	}
	pthread_mutex_lock(b->lock);
	offender_get_config(b->off, &oc);
	oc.threshold = sc->threshold;
	oc.window_ns = sc->window_s * 1000000000ull;
	oc.ban_ns = sc->ban_time_s * 1000000000ull;
	oc.ban_max_ns = sc->ban_max_s * 1000000000ull;
	offender_set_config(b->off, &oc);
	pthread_mutex_unlock(b->lock);
	return 0;
}

void bans_alert(struct bans *b, int family, const void *addr, int priority, bool drop, uint32_t sid)
{
	struct offender_verdict v;
	struct moat_dp_entry e;
	struct ban_info bi;
	struct cidr host = { .family = (uint8_t)family };
	char pfx[CIDR_STRLEN];
	enum protect prot;
	bool narrow;
	uint64_t now;
	int r;

	pthread_mutex_lock(b->lock);
	count_rule(b, sid);
	record_alert(b, family, addr, priority, drop, sid);
	if (!b->cfg->autoban) {
		pthread_mutex_unlock(b->lock);
		return;
	}
	host.prefix = family == AF_INET ? 32 : 128;
	memcpy(host.addr, addr, family == AF_INET ? 4 : 16);
	b->st.alerts++;
	now = moat_dp_now_ns();
	if (offender_alert(b->off, family, addr, priority, drop, sid, now, &v) < 0 || !v.ban)
		goto out;
	bi = (struct ban_info){
		.prefix = v.prefix,
		.expires_ns = now + v.ban_ns,
		.banned_at_us = wall_us(),
		.score = v.score,
		.offences = v.offences,
		.drop_rule = v.drop_rule,
		.n_sids = v.n_sids,
	};
	memcpy(bi.sids, v.sids, sizeof(bi.sids));
	prot = check_protected(b, &host, &v.prefix, &narrow);
	if (prot != PROT_NONE) {
		if (prot == PROT_ALLOW)
			b->st.refused_allowlist++;
		else if (prot == PROT_OWN)
			b->st.refused_own++;
		else
			b->st.refused_never_ban++;
		log_warn("ban refused: %s is protected (%s); sid %u, score %.1f",
			 cidr_format(&host, pfx, sizeof(pfx)), protect_name(prot), sid, v.score);
		bi.expires_ns = 0;
		eve_ban_event(b, "ban", "refused", &host, &bi, protect_name(prot));
		goto out;
	}
	if (narrow) {
		b->st.narrowed++;
		bi.prefix = host;
	}
	e = (struct moat_dp_entry){
		.kind = MOAT_KIND_BLOCK,
		.dir = MOAT_DIR_SRC,
		.reason = MOAT_REASON_AUTO,
		.rule_id = sid,
		.cidr = bi.prefix,
		.expires_ns = bi.expires_ns,
	};
	snprintf(e.note, sizeof(e.note), "auto: %s, score %.1f, offence %u",
		 v.drop_rule ? "drop rule" : "score", v.score, v.offences);
	r = moat_dp_add(b->dp, &e);
	if (r < 0 && r != -ENOSPC) {
		b->st.errors++;
		log_err("ban %s failed: %s", cidr_format(&bi.prefix, pfx, sizeof(pfx)),
			moat_dp_errmsg(b->dp));
		offender_unbanned(b->off, &v.prefix);
		goto out;
	}
	if (r == -ENOSPC && moat_dp_get(b->dp, &e, &e) < 0) {
		/* the map is full (a note that did not fit still leaves the entry in) */
		b->st.errors++;
		log_err("ban %s failed: %s", cidr_format(&bi.prefix, pfx, sizeof(pfx)),
			moat_dp_errmsg(b->dp));
		offender_unbanned(b->off, &v.prefix);
		goto out;
	}
	b->st.bans++;
	add_active(b, &bi);
	log_info("banned %s for %llus (%s, sid %u, score %.1f, offence %u)",
		 cidr_format(&bi.prefix, pfx, sizeof(pfx)),
		 (unsigned long long)(v.ban_ns / 1000000000u), v.drop_rule ? "drop rule" : "score",
		 sid, v.score, v.offences);
	eve_ban_event(b, "ban", "ban", &host, &bi, v.drop_rule ? "drop-rule" : "score");
	{
		uint64_t one = 1;

		if (write(b->notify_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_debug("bans: eventfd: %s", strerror(errno));
	}
out:
	pthread_mutex_unlock(b->lock);
}

size_t bans_flush(struct bans *b, const char *reason, size_t *ret_failed)
{
	size_t n = 0, failed = 0;

	pthread_mutex_lock(b->lock);
	while (b->n_active) {
		struct ban_info gone = b->active[b->n_active - 1];
		struct moat_dp_entry e = {
			.kind = MOAT_KIND_BLOCK,
			.dir = MOAT_DIR_SRC,
			.cidr = gone.prefix,
		};
		struct moat_dp_entry cur;
		char pfx[CIDR_STRLEN];
		int r = moat_dp_get(b->dp, &e, &cur);

		/* an operator's entry that replaced the ban stays */
		if (r == 0 && cur.reason == MOAT_REASON_AUTO)
			r = moat_dp_delete(b->dp, &e);
		if (r < 0 && r != -ENOENT) {
			failed++;
			log_err("unban %s: %s", cidr_format(&gone.prefix, pfx, sizeof(pfx)),
				moat_dp_errmsg(b->dp));
		}
		gone.expires_ns = 0;
		log_info("unbanned %s (%s)", cidr_format(&gone.prefix, pfx, sizeof(pfx)), reason);
		eve_ban_event(b, "unban", "unban", &gone.prefix, &gone, reason);
		offender_unbanned(b->off, &gone.prefix);
		b->st.unbans++;
		b->n_active--;
		n++;
	}
	pthread_mutex_unlock(b->lock);
	if (ret_failed)
		*ret_failed = failed;
	return n;
}

int bans_sweep(struct bans *b)
{
	uint64_t now;
	int removed = 0, r;

	bans_refresh_own(b);
	pthread_mutex_lock(b->lock);
	now = moat_dp_now_ns();
	for (size_t i = 0; i < b->n_active;) {
		struct ban_info *bi = &b->active[i];
		struct moat_dp_entry e = {
			.kind = MOAT_KIND_BLOCK,
			.dir = MOAT_DIR_SRC,
			.cidr = bi->prefix,
		};
		struct moat_dp_entry cur;
		const char *reason = NULL;

		r = moat_dp_get(b->dp, &e, &cur);
		if (r == -ENOENT && bi->expires_ns <= now)
			reason = "expired"; /* swept already (by the daemon's map sweep) */
		else if (r == -ENOENT)
			reason = "removed";
		else if (r == 0 && cur.reason != MOAT_REASON_AUTO)
			reason = "replaced"; /* an operator's entry took over */
		else if (r == 0 && cur.expires_ns && cur.expires_ns <= now) {
			reason = "expired";
			if (moat_dp_delete(b->dp, &e) == 0)
				removed++;
		} else if (r == 0 && cur.expires_ns != bi->expires_ns)
			bi->expires_ns = cur.expires_ns; /* changed by an operator */
		if (!reason) {
			i++;
			continue;
		}
		{
			char pfx[CIDR_STRLEN];
			struct cidr host = bi->prefix;
			struct ban_info gone = *bi;

			gone.expires_ns = 0; /* no expiry in an unban event */
			log_info("unbanned %s (%s)", cidr_format(&bi->prefix, pfx, sizeof(pfx)),
				 reason);
			eve_ban_event(b, "unban", "unban", &host, &gone, reason);
		}
		offender_unbanned(b->off, &bi->prefix);
		b->st.unbans++;
		remove_active(b, i);
	}
	offender_expire(b->off, now);
	pthread_mutex_unlock(b->lock);
	return removed;
}

void bans_restore(struct bans *b, const struct ban_info *bi)
{
	pthread_mutex_lock(b->lock);
	if (add_active(b, bi))
		offender_note_ban(b->off, &bi->prefix, bi->offences, bi->expires_ns, bi->score,
				  bi->sids, bi->n_sids);
	pthread_mutex_unlock(b->lock);
}

size_t bans_foreach(struct bans *b, void (*cb)(void *ctx, const struct ban_info *bi), void *ctx)
{
	size_t n;

	pthread_mutex_lock(b->lock);
	n = b->n_active;
	for (size_t i = 0; i < n; i++)
		cb(ctx, &b->active[i]);
	pthread_mutex_unlock(b->lock);
	return n;
}

int bans_notify_fd(const struct bans *b)
{
	return b->notify_fd;
}

void bans_get_stats(struct bans *b, struct bans_stats *ret)
{
	pthread_mutex_lock(b->lock);
	*ret = b->st;
	ret->active = b->n_active;
	offender_get_stats(b->off, &ret->offenders);
	pthread_mutex_unlock(b->lock);
}

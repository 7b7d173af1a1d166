// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for policyd/config: defaults, every key type, file:line errors, [set] keys. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "policyd/config.h"

static int load(struct moatd_config *c, const char *text, char *err, size_t errlen)
{
	config_init(c);
	return config_load_mem(c, text, strlen(text), "t.conf", err, errlen);
}

static void test_config_defaults_without_file(void **state)
{
	struct moatd_config c;
	char err[256] = "";

	assert_int_equal(load(&c, "", err, sizeof(err)), 0);
	assert_string_equal(c.log_dir, "/var/log/moat");
	assert_string_equal(c.rules_dir, "/etc/moat/rules.d");
	assert_string_equal(c.control_socket, "/run/moat/moatd.sock");
	assert_int_equal(c.workers, 0);
	assert_int_equal(c.transport, CONFIG_TRANSPORT_RINGBUF);
	assert_true(c.keep_enforcement);
	assert_true(c.autoban);
	assert_int_equal(c.ipv6_prefix, 64);
	assert_int_equal(c.ban_time_s, 600);
}

static void test_config_every_key_type(void **state)
{
	static const char text[] =
		"# moatd test config\n"
		"[daemon]\n"
		"workers = 3   # inline comment\n"
		"transport = perfbuf\n"
		"ring-size = 1mb\n"
		"depth = 64kb\n"
		"snaplen = 1500\n"
		"xdp-mode = generic\n"
		"log-dir = /tmp/x\n"
		"rules-dir =\n"
		"keep-enforcement = no\n"
		"sweep-interval = 2s\n"
		"; other comment style\n"
		"[control]\n"
		"socket = /tmp/s.sock\n"
		"group = moat-ops\n"
		"[metrics]\n"
		"listen = [::1]:9100\n"
		"[autoban]\n"
		"threshold = 2.5\n"
		"weight-priority-3 = 0.5\n"
		"window = 5m\n"
		"ban-time = 1m\n"
		"ban-max = 1h\n"
		"ipv6-prefix = 56\n"
		"never-ban = 198.18.0.0/24, fd00:6d6f:6174::/48\n"
		"never-ban = 198.19.1.1\n"
		"[set]\n"
		"stream.reassembly.depth = 2mb\n"
		"app-layer.protocols.http.libhtp.default-config.request-body-limit = 1kb\n";
	struct moatd_config c;
	char err[256] = "";
	uint8_t a[16];

	assert_int_equal(load(&c, text, err, sizeof(err)), 0);
	assert_int_equal(c.workers, 3);
	assert_int_equal(c.transport, CONFIG_TRANSPORT_PERFBUF);
	assert_int_equal(c.ring_size, 1 << 20);
	assert_int_equal(c.depth, 65536);
	assert_int_equal(c.snaplen, 1500);
	assert_int_equal(c.xdp_mode, CONFIG_XDP_GENERIC);
	assert_string_equal(c.log_dir, "/tmp/x");
	assert_string_equal(c.rules_dir, "");
	assert_false(c.keep_enforcement);
	assert_int_equal(c.sweep_interval_s, 2);
	assert_string_equal(c.control_socket, "/tmp/s.sock");
	assert_string_equal(c.control_group, "moat-ops");
	assert_string_equal(c.metrics_listen, "[::1]:9100");
	assert_true(c.threshold == 2.5);
	assert_true(c.weight[2] == 0.5);
	assert_int_equal(c.window_s, 300);
	assert_int_equal(c.ban_time_s, 60);
	assert_int_equal(c.ban_max_s, 3600);
	assert_int_equal(c.ipv6_prefix, 56);
	assert_int_equal(c.n_never_ban, 3);
	inet_pton(AF_INET, "198.18.0.77", a);
	assert_true(config_never_ban(&c, AF_INET, a));
	inet_pton(AF_INET, "198.18.1.77", a);
	assert_false(config_never_ban(&c, AF_INET, a));
	inet_pton(AF_INET, "198.19.1.1", a);
	assert_true(config_never_ban(&c, AF_INET, a));
	inet_pton(AF_INET6, "fd00:6d6f:6174:9::1", a);
	assert_true(config_never_ban(&c, AF_INET6, a));
	assert_int_equal(c.n_sets, 2);
	assert_string_equal(c.sets[0].key, "stream.reassembly.depth");
	assert_string_equal(c.sets[0].value, "2mb");
}

struct bad_case {
	const char *text;
	const char *want; /* substring of the error */
};

static const struct bad_case bad[] = {
	{ "workers = 2\n", "t.conf:1: workers: key outside a section" },
	{ "[daemon]\nworkers = many\n", "t.conf:2: workers: expected a whole number from 0 to 64" },
	{ "[daemon]\nworkers = 1000\n", "t.conf:2: workers" },
	{ "[daemon]\n\n\nfrobnicate = 1\n", "t.conf:4: unknown key frobnicate in [daemon]" },
	{ "[nosuch]\n", "t.conf:1: unknown section [nosuch]" },
	{ "[daemon\n", "t.conf:1: section header without ']'" },
	{ "[daemon]\njust words\n", "t.conf:2: expected key = value" },
	{ "[daemon]\n= 3\n", "t.conf:2: missing key" },
	{ "[daemon]\ntransport = xdp\n", "t.conf:2: transport: expected ringbuf or perfbuf" },
	{ "[daemon]\nring-size = 5000\n", "t.conf:2: ring-size: must be a power of two" },
	{ "[daemon]\nring-size = 1kb\n", "t.conf:2: ring-size: expected a size" },
	{ "[daemon]\nlog-dir = relative/path\n", "t.conf:2: log-dir: expected an absolute path" },
	{ "[daemon]\nstate-file =\n", "t.conf:2: state-file: expected an absolute path" },
	{ "[daemon]\nkeep-enforcement = maybe\n",
	  "t.conf:2: keep-enforcement: expected yes or no" },
	{ "[daemon]\nsweep-interval = 0\n", "t.conf:2: sweep-interval: expected a duration" },
	{ "[daemon]\nxdp-mode = turbo\n", "t.conf:2: xdp-mode" },
	{ "[control]\ngroup = bad/name\n", "t.conf:2: group: not a valid name" },
	{ "[metrics]\nlisten = localhost\n", "t.conf:2: expected ADDR:PORT" },
	{ "[metrics]\nlisten = 127.0.0.1:0\n", "t.conf:2: not a port" },
	{ "[metrics]\nlisten = example.com:80\n", "t.conf:2: not an IP address" },
	{ "[autoban]\nthreshold = 0\n", "t.conf:2: threshold: expected a number from 1" },
	{ "[autoban]\nthreshold = nan\n", "t.conf:2: threshold" },
	{ "[autoban]\nipv6-prefix = 129\n", "t.conf:2: ipv6-prefix" },
	{ "[autoban]\nnever-ban = 10.0.0.0/33\n", "t.conf:2: never-ban: not an address" },
	{ "[autoban]\nban-time = 2h\nban-max = 1h\n", "t.conf:3: autoban: ban-max is shorter" },
	{ "[set]\nstream.reassembly.depth = lots\n", "t.conf:2: stream.reassembly.depth:" },
	{ "[set]\nno.such.key = 1\n", "t.conf:2: unknown setting: no.such.key" },
};

static void test_config_errors_name_file_and_line(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct moatd_config c;
		char err[512] = "";

		if (load(&c, bad[i].text, err, sizeof(err)) != -EINVAL)
			fail_msg("case %zu (%s) was accepted", i, bad[i].text);
		if (!strstr(err, bad[i].want))
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, bad[i].want);
	}
}

static void test_config_nul_and_long_lines(void **state)
{
	static const char nul[] = "[daemon]\nworkers = 1\0 2\n";
	struct moatd_config c;
	char err[256] = "", *big;

	config_init(&c);
	assert_int_equal(config_load_mem(&c, nul, sizeof(nul) - 1, "t.conf", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "t.conf:2: NUL byte"));
	big = malloc(CONFIG_MAX_LINE + 64);
	assert_non_null(big);
	memset(big, '#', CONFIG_MAX_LINE + 63);
	big[CONFIG_MAX_LINE + 63] = '\0';
	assert_int_equal(load(&c, big, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.conf:1: line longer"));
	free(big);
}

static void test_config_load_missing_file(void **state)
{
	struct moatd_config c;
	char err[256] = "";

	config_init(&c);
	assert_int_equal(config_load(&c, "/nonexistent/moat.conf", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/moat.conf"));
}

static void test_config_apply_set_keys(void **state)
{
	struct worker_config wc;
	struct app_layer_config ac;
	char err[256] = "";

	worker_config_init(&wc);
	app_layer_config_init(&ac);
	assert_int_equal(config_apply_set(&wc, &ac,
					  "app-layer.protocols.http.libhtp.default-config."
					  "response-body-limit",
					  "3kb", err, sizeof(err)),
			 0);
	assert_int_equal(ac.http.response_body_limit, 3072);
	assert_int_equal(config_apply_set(&wc, &ac, "stream.inline", "yes", err, sizeof(err)), 0);
	assert_int_equal(config_apply_set(&wc, &ac, "stream.inline", "perhaps", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(config_apply_set(&wc, &ac, "what.ever", "1", err, sizeof(err)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults_without_file),
		cmocka_unit_test(test_config_every_key_type),
		cmocka_unit_test(test_config_errors_name_file_and_line),
		cmocka_unit_test(test_config_nul_and_long_lines),
		cmocka_unit_test(test_config_load_missing_file),
		cmocka_unit_test(test_config_apply_set_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * Corpus check: every rules file of the suricata-verify subset loads (compiled) with no
 * invalid rule; unsupported ones are listed. Usage: rules_sv_load SURICATA_VERIFY_DIR
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "rules.h"

static size_t loaded, unsupported, invalid, files;

static void load_one(const char *path)
{
	struct ruleset_opts opts = { 0 };
	struct rule_diags d = { 0 };
	struct ruleset *rs = NULL;
	struct ruleset_stats st;

	files++;
	if (ruleset_load((const char *const[]){ path }, 1, &opts, &rs, &d) < 0) {
		printf("FAIL: %s: cannot load\n", path);
		invalid++;
	} else {
		ruleset_get_stats(rs, &st);
		loaded += st.loaded;
		unsupported += st.unsupported;
		invalid += st.invalid;
	}
	for (size_t i = 0; i < d.n; i++)
		printf("%s: %s:%u: sid %u: %s\n",
		       d.v[i].kind == RULE_DIAG_INVALID ? "invalid" : "note", d.v[i].file,
		       d.v[i].line, d.v[i].sid, d.v[i].message);
	ruleset_free(rs);
	rule_diags_done(&d);
}

static void walk(const char *dir, int depth)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		size_t l = strlen(names[i]->d_name);

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode) && depth < 3)
				walk(path, depth + 1);
			else if (S_ISREG(st.st_mode) && l > 6 &&
				 strcmp(names[i]->d_name + l - 6, ".rules") == 0)
				load_one(path);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

int main(int argc, char **argv)
{
	walk(argc > 1 ? argv[1] : "../shared/corpus/suricata-verify", 0);
	printf("suricata-verify rules: %zu files, %zu loaded, %zu unsupported, %zu invalid\n",
	       files, loaded, unsupported, invalid);
	return files == 0 || invalid ? 1 : 0;
}
